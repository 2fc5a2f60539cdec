using Microsoft.AspNetCore.Mvc.Filters;

namespace Marketplace.Host.Web;

/// <summary>
/// Reads the person's session cookie before any other filter of the page runs. The API's default scheme is the bearer
/// token, so without this the antiforgery check (an authorization filter, before the page's own handler filters) would
/// see an anonymous user and refuse every form a signed-in person sends, since its token was issued for that person.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class SessionUserAttribute : Attribute, IAsyncAuthorizationFilter, IOrderedFilter
{
    /// <summary>Before the antiforgery filter (order 1000).</summary>
    public int Order => -1000;

    /// <inheritdoc />
    public async Task OnAuthorizationAsync(AuthorizationFilterContext context)
    {
        var result = await context.HttpContext.RequestServices.GetRequiredService<WebSession>().AuthenticateAsync();
        if (result.Succeeded)
        {
            context.HttpContext.User = result.Principal!;
        }
    }
}
