using Marketplace.Domain.Common;
using Marketplace.Grains.Traders;
using Marketplace.Hosting;
using Microsoft.AspNetCore.Identity;

namespace Marketplace.Identity;

/// <summary>
/// Commands for the operator of an installation:
/// <c>clients create --trader ID --name NAME --scopes "listings.read listings.write" [--redirect-uri URI]</c>,
/// <c>clients list --trader ID</c>, <c>clients revoke --trader ID --client CLIENT_ID</c>, and
/// <c>users make-admin --email ADDRESS</c> (a platform admin), and <c>users add --trader ID --email ADDRESS --password
/// PASSWORD [--role member|trader-admin] [--name NAME]</c> (a person of a firm, e.g. to use the pages as a demo firm).
/// </summary>
public static class IdentityCommands
{
    private const string Usage = """
        Usage:
          dotnet run --project src/Marketplace.Host -- clients create --trader <trader id> --name <name> --scopes "listings.read listings.write" [--redirect-uri <uri>]
          dotnet run --project src/Marketplace.Host -- clients list --trader <trader id>
          dotnet run --project src/Marketplace.Host -- clients revoke --trader <trader id> --client <client id>
          dotnet run --project src/Marketplace.Host -- users make-admin --email <address>
          dotnet run --project src/Marketplace.Host -- users add --trader <trader id> --email <address> --password <password> [--role member|trader-admin] [--name <name>]
        """;

    /// <summary>True when the command line names one of these commands.</summary>
    public static bool Matches(string[] args) => args.Length > 0 && args[0] is "clients" or "users";

    /// <summary>Runs the command against the configured stores; returns the process exit code.</summary>
    /// <param name="args">The command line, starting with the command's words.</param>
    /// <param name="addSilo">Adds the grains the commands need (firms); the host, as the composition root, passes its silo.</param>
    /// <param name="output">Where results go.</param>
    /// <param name="error">Where usage and failures go.</param>
    public static async Task<int> RunAsync(string[] args, Action<IHostApplicationBuilder> addSilo, TextWriter output, TextWriter error)
    {
        if (args.Length < 2)
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }

        if (!Verbs.TryGetValue((args[0], args[1]), out var known))
        {
            await error.WriteLineAsync(Usage);
            return CommandLine.UsageExitCode;
        }

        if (!CommandLine.TryParse(args.Skip(2).ToArray(), known, out var line, out var problem))
        {
            await error.WriteLineAsync(problem);
            await error.WriteLineAsync(Usage);
            return CommandLine.UsageExitCode;
        }

        var options = line.Options.ToDictionary(StringComparer.Ordinal);
        // A missing required option is a usage error, said before a silo is started for nothing.
        foreach (var (option, message) in Required[(args[0], args[1])])
        {
            if (string.IsNullOrWhiteSpace(options.GetValueOrDefault(option)))
            {
                await error.WriteLineAsync(message);
                await error.WriteLineAsync(Usage);
                return CommandLine.UsageExitCode;
            }
        }

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(line.Settings);
        builder.Configuration["Logging:LogLevel:Default"] = "Warning";
        builder.Configuration["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning";
        builder.Configuration["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error";
        addSilo(builder);
        builder.AddMarketplaceIdentityStore();
        // A firm's members (users add) word their mails through the localizer, though no mail is sent here.
        builder.Services.AddLocalization();
        using var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch (Exception e)
        {
            await error.WriteLineAsync($"Could not start: {e.Message}");
            await error.WriteLineAsync("Is the marketplace already running? Stop it first (this command opens the same silo ports), or pass --Cluster:SiloPort=... --Cluster:GatewayPort=....");
            return 1;
        }

        try
        {
            await using var scope = host.Services.CreateAsyncScope();
            return await RunAsync(args[0], args[1], options, scope.ServiceProvider, output, error);
        }
        catch (DomainException e)
        {
            // A single-field refusal carries its message twice (the whole and the field's): say it once.
            if (!e.Errors.Values.Any(messages => messages.Contains(e.Message)))
            {
                await error.WriteLineAsync(e.Message);
            }

            foreach (var (field, messages) in e.Errors)
            {
                await error.WriteLineAsync($"  {field}: {string.Join(" ", messages)}");
            }

            return 1;
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task<int> RunAsync(string noun, string verb, Dictionary<string, string> o, IServiceProvider services, TextWriter output, TextWriter error)
    {
        switch (noun, verb)
        {
            case ("clients", "create"):
            {
                var trader = await RequireTraderAsync(o, services);
                o.TryGetValue("redirect-uri", out var redirect);
                var created = await services.GetRequiredService<ApiClientRegistry>().CreateAsync(
                    trader, o.GetValueOrDefault("name"), o.GetValueOrDefault("scopes"), redirect is null ? null : [redirect], "cli");
                await output.WriteLineAsync($"client_id:     {created.Client.ClientId}");
                await output.WriteLineAsync($"client_secret: {created.ClientSecret}");
                await output.WriteLineAsync($"scopes:        {string.Join(' ', created.Client.Scopes)}");
                await output.WriteLineAsync("The secret is shown only now and is stored hashed: keep it safe.");
                return 0;
            }

            case ("clients", "list"):
            {
                var trader = await RequireTraderAsync(o, services);
                foreach (var c in await services.GetRequiredService<ApiClientRegistry>().ListAsync(trader))
                {
                    await output.WriteLineAsync($"{c.ClientId}  {c.Name}  [{string.Join(' ', c.Scopes)}]  created {c.CreatedAt:yyyy-MM-dd}");
                }

                return 0;
            }

            case ("clients", "revoke"):
            {
                var trader = await RequireTraderAsync(o, services);
                var client = o.GetValueOrDefault("client") ?? throw DomainException.Invalid("client", "Name the client with --client <client id>.");
                await services.GetRequiredService<ApiClientRegistry>().RevokeAsync(trader, client);
                await output.WriteLineAsync($"Revoked {client}; its tokens are refused from now on.");
                return 0;
            }

            case ("users", "make-admin"):
            {
                var users = services.GetRequiredService<UserManager<MarketplaceUser>>();
                var email = o.GetValueOrDefault("email") ?? throw DomainException.Invalid("email", "Name the person with --email <address>.");
                var user = await users.FindByEmailAsync(email) ?? throw new DomainException("user-not-found",
                    $"No account has the address {email}: the person registers at /account/register and follows the link mailed to them first, then run this again.",
                    DomainErrorKind.NotFound);
                if (!user.EmailConfirmed)
                {
                    // Whoever registered an address they do not own must not become an operator through it.
                    throw DomainException.Conflict("email-not-confirmed", $"{email} has not confirmed the address yet: they must follow the link mailed to them first.");
                }

                user.IsPlatformAdmin = true;
                await users.UpdateAsync(user);
                await output.WriteLineAsync($"{email} is now a platform admin (effective in tokens issued from now on, with the admin scope).");
                return 0;
            }

            case ("users", "add"):
            {
                // The operator at the host's machine vouches for the address (no mail is sent): a demo firm's person, or
                // the first admin of a firm registered through the API.
                var trader = await RequireTraderAsync(o, services);
                var role = o.GetValueOrDefault("role") ?? MemberRoles.TraderAdmin;
                if (role is not (MemberRoles.Member or MemberRoles.TraderAdmin))
                {
                    throw DomainException.Invalid("role", $"The role is {MemberRoles.Member} or {MemberRoles.TraderAdmin}.");
                }

                var email = o["email"].Trim();
                var users = services.GetRequiredService<UserManager<MarketplaceUser>>();
                var user = await users.FindByEmailAsync(email);
                if (user is null)
                {
                    user = new MarketplaceUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = o.GetValueOrDefault("name") ?? email };
                    var made = await users.CreateAsync(user, o["password"]);
                    if (!made.Succeeded)
                    {
                        throw DomainException.Invalid("password", string.Join(" ", made.Errors.Select(e => e.Description)));
                    }
                }
                else
                {
                    await output.WriteLineAsync($"{email} has an account already: its password is unchanged.");
                }

                await services.GetRequiredService<FirmMembers>().AddAsync(user.Id, trader, role);
                await output.WriteLineAsync($"{email} is a {role} of {trader}: sign in at /signin with that address and password.");
                return 0;
            }

            default:
                await error.WriteLineAsync(Usage);
                return 2;
        }
    }

    private static async Task<string> RequireTraderAsync(Dictionary<string, string> o, IServiceProvider services)
    {
        var trader = o.GetValueOrDefault("trader") ?? throw DomainException.Invalid("trader", "Name the firm with --trader <trader id>.");
        _ = await services.GetRequiredService<IGrainFactory>().GetGrain<ITraderGrain>(trader).GetAsync()
            ?? throw DomainException.NotFound("trader", trader);
        return trader;
    }

    /// <summary>The options each command takes.</summary>
    private static readonly Dictionary<(string Noun, string Verb), string[]> Verbs = new()
    {
        [("clients", "create")] = ["trader", "name", "scopes", "redirect-uri"],
        [("clients", "list")] = ["trader"],
        [("clients", "revoke")] = ["trader", "client"],
        [("users", "make-admin")] = ["email"],
        [("users", "add")] = ["trader", "email", "password", "role", "name"],
    };

    /// <summary>The options each command cannot do without, with what to say when one is missing.</summary>
    private static readonly Dictionary<(string Noun, string Verb), (string Option, string Message)[]> Required = new()
    {
        [("clients", "create")] = [("trader", TraderMissing)],
        [("clients", "list")] = [("trader", TraderMissing)],
        [("clients", "revoke")] = [("trader", TraderMissing), ("client", "Name the client with --client <client id>.")],
        [("users", "make-admin")] = [("email", "Name the person with --email <address>.")],
        [("users", "add")] = [("trader", TraderMissing), ("email", "Name the person with --email <address>."), ("password", "Give the person's password with --password <password> (at least 12 characters).")],
    };

    private const string TraderMissing = "Name the firm with --trader <trader id>.";
}
