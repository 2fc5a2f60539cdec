namespace Marketplace.Host.Web;

/// <summary>
/// The pages' Content-Security-Policy: scripts only from this host's own files (every page script is a file under
/// <c>/js</c> or <c>/lib</c>; none is inline), so markup that reaches a page from a seller's or buyer's text (a title
/// put into the page as HTML by a script) cannot run; styles from this host, with the few style attributes the pages
/// use; no plugins, no other base, no framing (clickjacking). Images may come from anywhere on the web: a seller may
/// reference photos kept on its own site (any http(s) address, <c>Listing</c>'s validation), and the map's tiles come
/// from the configured tile server. The API, the sign-in server's endpoints and the operators' pages
/// (<see cref="HostSetup.MachinePaths"/>) answer no HTML of the pages' and keep their own.
/// </summary>
public static class PagePolicy
{
    /// <summary>The header's value.</summary>
    public const string Value = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https: http:; "
        + "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

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
                    context.Response.Headers.ContentSecurityPolicy = Value;
                    context.Response.Headers.XContentTypeOptions = "nosniff";
                    context.Response.Headers["Referrer-Policy"] = "same-origin";
                }

                return Task.CompletedTask;
            }, context);
        }

        return next(context);
    }
}
