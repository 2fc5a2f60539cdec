using Microsoft.Extensions.Options;

namespace Marketplace.Host.Web;

/// <summary>
/// The pages' Content-Security-Policy: scripts only from this host's own files (every page script is a file under
/// <c>/js</c> or <c>/lib</c>; none is inline), so markup that reaches a page from a seller's or buyer's text (a title
/// put into the page as HTML by a script) cannot run; styles from this host, with the few style attributes the
/// pages use; images from this host, data URIs and the map's tile server; no plugins, no other base, and no framing
/// (clickjacking). The API, the sign-in server's endpoints and the operators' pages (<see cref="HostSetup.MachinePaths"/>)
/// answer no HTML of the pages' and keep their own.
/// </summary>
public static class PagePolicy
{
    /// <summary>The header's value, given the map's tile URL template (null or empty: no tiles).</summary>
    public static string For(string? tileUrl)
    {
        var images = "'self' data:";
        if (TileSource(tileUrl) is { } tiles)
        {
            images += " " + tiles;
        }

        return $"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src {images}; connect-src 'self'; "
            + "font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";
    }

    /// <summary>
    /// The origin of a Leaflet tile URL template as a CSP source (<c>https://{s}.tile.example.org/{z}/{x}/{y}.png</c>:
    /// <c>https://*.tile.example.org</c>), or null when it has none this can read.
    /// </summary>
    public static string? TileSource(string? tileUrl)
    {
        if (string.IsNullOrWhiteSpace(tileUrl))
        {
            return null;
        }

        var scheme = tileUrl.IndexOf("://", StringComparison.Ordinal);
        if (scheme <= 0)
        {
            return null;
        }

        var hostStart = scheme + 3;
        var hostEnd = tileUrl.IndexOf('/', hostStart);
        var host = hostEnd < 0 ? tileUrl[hostStart..] : tileUrl[hostStart..hostEnd];
        // A placeholder in the host ({s}, a subdomain letter) stands for its label; a CSP wildcard is only a whole first
        // label, so a label holding one (tile-{s}.example.org) widens to *.example.org. The rest must be a plain host[:port].
        host = System.Text.RegularExpressions.Regex.Replace(host, @"\{[^}]*\}", "*");
        var firstDot = host.IndexOf('.');
        if (host.Contains('*') && (firstDot < 0 || host.IndexOf('*', firstDot) >= 0))
        {
            return null;
        }

        if (host.Contains('*'))
        {
            host = "*" + host[firstDot..];
        }

        var origin = tileUrl[..scheme].ToLowerInvariant();
        return origin is "http" or "https" && host.Length > 0 && host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '*')
            ? $"{origin}://{host}"
            : null;
    }

    /// <summary>Adds the policy to every page this host answers with HTML.</summary>
    public static Task ApplyAsync(HttpContext context, RequestDelegate next)
    {
        if (!HostSetup.IsMachinePath(context.Request.Path))
        {
            context.Response.OnStarting(static state =>
            {
                var context = (HttpContext)state;
                if (context.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true)
                {
                    var tiles = context.RequestServices.GetRequiredService<IOptions<WebOptions>>().Value.Map.TileUrl;
                    context.Response.Headers.ContentSecurityPolicy = For(tiles);
                    context.Response.Headers.XContentTypeOptions = "nosniff";
                    context.Response.Headers["Referrer-Policy"] = "same-origin";
                }

                return Task.CompletedTask;
            }, context);
        }

        return next(context);
    }
}
