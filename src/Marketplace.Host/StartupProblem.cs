using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Marketplace.Host;

/// <summary>Turns the usual reasons the host cannot start into one line that says what to do next.</summary>
public static class StartupProblem
{
    /// <summary>An explanation for a start-up failure a user can fix, or null for anything else (then the stack trace helps more).</summary>
    public static string? Explain(Exception exception)
    {
        if (Causes(exception).Any(c => c is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || c.GetType().Name == "AddressInUseException"))
        {
            return $"A port is already in use ({Causes(exception).Last().Message}). Is the marketplace already running? Stop it, "
                   + "or choose other ports with --urls, --Cluster:SiloPort and --Cluster:GatewayPort.";
        }

        return Causes(exception).Select(Describe).FirstOrDefault(d => d is not null);
    }

    /// <summary>
    /// Throws the address-in-use <see cref="SocketException"/> (explained by <see cref="Explain"/>) when a port of the
    /// configured <c>urls</c> is taken, before the silo starts: otherwise the host joins its cluster, fails to bind, and
    /// leaves a member that never served (in a cluster, others have to declare it dead).
    /// </summary>
    public static void EnsureHttpPortsFree(IConfiguration configuration)
    {
        foreach (var url in (configuration["urls"] ?? "http://localhost:5000").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                || uri.Port <= 0)
            {
                continue;
            }

            var address = uri.IsLoopback && !IPAddress.TryParse(uri.Host.Trim('[', ']'), out _) ? IPAddress.Loopback
                : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? ip
                : IPAddress.Any;
            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            // As Kestrel binds (a port left in TIME_WAIT by a stopped host is free to it).
            probe.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            probe.Bind(new IPEndPoint(address, uri.Port));
        }
    }

    private static IEnumerable<Exception> Causes(Exception exception)
    {
        yield return exception;
        var inner = exception is AggregateException aggregate ? aggregate.InnerExceptions : exception.InnerException is { } one ? [one] : [];
        foreach (var cause in inner.SelectMany(Causes))
        {
            yield return cause;
        }
    }

    private static string? Describe(Exception exception) => exception switch
    {
        Hosting.DataFolderInUseException e => e.Message,
        OptionsValidationException e => $"Configuration error: {string.Join(" ", e.Failures)} Fix it in appsettings.json, an environment variable or a --Section:Key=value argument.",
        InvalidOperationException e when e.Message.Contains("Provider", StringComparison.Ordinal) || e.Message.Contains("ConnectionString", StringComparison.Ordinal)
            => $"Configuration error: {e.Message} See the configuration table in README.md.",
        UnauthorizedAccessException e => $"Cannot write the data folder: {e.Message} Run from a folder you can write to, or set --DataPath (or --Storage:Sqlite:Path).",
        _ => null,
    };
}
