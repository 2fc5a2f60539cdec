using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Marketplace.Identity;

/// <summary>
/// The address links in mail point to (password reset, email confirmation, invitations): <c>Identity:PublicBaseAddress</c>,
/// else <c>Identity:Issuer</c>, else, only in loopback development, the address this host listens on. Never the
/// request's <c>Host</c> header, which a caller chooses (a forged one would mail the victim a link to another site).
/// </summary>
public sealed class PublicAddress(IOptions<MarketplaceIdentityOptions> options, IServer server)
{
    /// <summary>Scheme, host, port and path base without a trailing slash, e.g. <c>https://marketplace.example</c>.</summary>
    public string Base
    {
        get
        {
            var o = options.Value;
            var configured = !string.IsNullOrWhiteSpace(o.PublicBaseAddress) ? o.PublicBaseAddress : o.Issuer;
            if (!string.IsNullOrWhiteSpace(configured))
            {
                return configured.TrimEnd('/');
            }

            var listening = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            if (!o.AllowLoopbackHttp || listening is null)
            {
                throw new InvalidOperationException(
                    $"Set Identity:{nameof(MarketplaceIdentityOptions.PublicBaseAddress)}: links in mail are built from it, never from a request's Host header.");
            }

            // A wildcard binding (http://[::]:5080, http://+:5080) is reached on this machine as localhost.
            var uri = new UriBuilder(listening.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
            if (uri.Host is "0.0.0.0" or "[::]" or "::")
            {
                uri.Host = "localhost";
            }

            return uri.Uri.GetLeftPart(UriPartial.Authority);
        }
    }

    /// <summary>Refuses to start without a configured address outside loopback development.</summary>
    public static void EnsureConfigured(MarketplaceIdentityOptions options)
    {
        foreach (var (name, value) in new[] { (nameof(options.PublicBaseAddress), options.PublicBaseAddress), (nameof(options.Issuer), options.Issuer) })
        {
            if (!string.IsNullOrWhiteSpace(value) && !Uri.TryCreate(value, UriKind.Absolute, out _))
            {
                throw new InvalidOperationException($"Identity:{name} must be an absolute address such as https://marketplace.example, not '{value}'.");
            }
        }

        if (!options.AllowLoopbackHttp && string.IsNullOrWhiteSpace(options.PublicBaseAddress) && string.IsNullOrWhiteSpace(options.Issuer))
        {
            throw new InvalidOperationException(
                $"Identity:{nameof(options.AllowLoopbackHttp)} is false but neither Identity:{nameof(options.PublicBaseAddress)} nor Identity:{nameof(options.Issuer)} is set: "
                + "set the public https:// address; links in mail (password reset, confirmation, invitations) are built from it, never from a request's Host header.");
        }
    }
}
