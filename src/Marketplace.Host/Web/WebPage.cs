using Marketplace.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Marketplace.Host.Web;

/// <summary>
/// Base of every marketplace page: reads the person's session cookie (so the layout and the page know who is signed
/// in), sends a page that needs a person to sign in first, and puts the API's problems next to the fields they name.
/// </summary>
public abstract class WebPage : PageModel
{
    /// <summary>True for pages that only a signed-in person may open.</summary>
    protected virtual bool RequiresSignIn => false;

    /// <summary>The API as the signed-in person (or anonymously).</summary>
    protected MarketplaceApi Api => HttpContext.RequestServices.GetRequiredService<MarketplaceApi>();

    /// <summary>The layout's and shared texts.</summary>
    protected IStringLocalizer<SharedText> Shared => HttpContext.RequestServices.GetRequiredService<IStringLocalizer<SharedText>>();

    /// <summary>The firm the person acts for, or null.</summary>
    public string? TraderId => User.FindFirst(Caller.TraderIdClaim)?.Value;

    /// <summary>The message of a problem that names no field, shown at the top of the form.</summary>
    public string? ProblemMessage { get; private set; }

    /// <summary>The first message for a field, or null: shown next to the field, which points to it with aria-describedby.</summary>
    public string? ErrorOf(string field)
        => ModelState.TryGetValue(field, out var entry) && entry.Errors.Count > 0 ? entry.Errors[0].ErrorMessage : null;

    /// <inheritdoc />
    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        // The model binder makes such an id null, which the pages' API paths would not survive.
        if (Hosting.Problems.ProblemHandling.BlankRouteValue(RouteData.Values) is not null)
        {
            context.Result = NotFound();
            return;
        }

        var session = HttpContext.RequestServices.GetRequiredService<WebSession>();
        var result = await session.AuthenticateAsync();
        if (result.Succeeded)
        {
            HttpContext.User = result.Principal!;
        }
        else if (RequiresSignIn)
        {
            context.Result = SignInFirst();
            return;
        }

        var executed = await next();
        if (session.Ended && RequiresSignIn && executed.Exception is null)
        {
            // The API refused the session's token while the page was made (revoked by a sign-out, a removal or a password
            // reset): sign in again rather than a page of refusals.
            executed.Result = SignInFirst();
        }
    }

    private ChallengeResult SignInFirst()
    {
        var back = HttpMethods.IsGet(Request.Method) ? Request.Path + Request.QueryString : Request.Path.ToString();
        return new ChallengeResult(WebSetup.OidcScheme, new AuthenticationProperties { RedirectUri = back });
    }

    /// <summary>
    /// Shows a problem: each field it names gets its message next to the field (<paramref name="fieldPrefix"/> + the API's
    /// path, e.g. <c>Form.quantity</c>), the rest at the top. Known codes are said in the person's language.
    /// </summary>
    protected void ShowProblem(ApiProblem problem, string fieldPrefix = "", IReadOnlyDictionary<string, string>? fieldMap = null)
    {
        foreach (var (field, messages) in problem.Errors)
        {
            var key = fieldMap is not null && fieldMap.TryGetValue(field, out var mapped) ? mapped : fieldPrefix + field;
            foreach (var message in messages)
            {
                ModelState.AddModelError(key, FieldMessages.Localize(message, Shared));
            }
        }

        var known = Shared["problem." + problem.Code];
        if (known.ResourceNotFound && problem.Code.EndsWith("-not-found", StringComparison.Ordinal))
        {
            // Every kind of thing not found (or another firm's, which answers the same) in one sentence of the person's language.
            known = Shared["problem.not-found"];
        }

        ProblemMessage = !known.ResourceNotFound ? known.Value
            : problem.Detail is { } detail ? FieldMessages.Localize(detail, Shared)
            : problem.Title ?? problem.Code;
    }
}
