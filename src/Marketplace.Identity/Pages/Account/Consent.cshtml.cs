using Marketplace.Grains.Traders;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OpenIddict.Abstractions;

namespace Marketplace.Identity.Pages.Account;

/// <summary>The consent screen for third-party applications; the form goes back to the authorization endpoint.</summary>
public sealed class ConsentModel(UserManager<MarketplaceUser> users, IOpenIddictApplicationManager applications, FirmMembers members, IGrainFactory grains) : PageModel
{
    private static readonly Dictionary<string, string> Descriptions = new(StringComparer.Ordinal)
    {
        [OpenIddictConstants.Scopes.OpenId] = "know who you are",
        [OpenIddictConstants.Scopes.Profile] = "see your name",
        [OpenIddictConstants.Scopes.Email] = "see your email address",
        [OpenIddictConstants.Scopes.OfflineAccess] = "keep access when you are not using it",
        [ApiScopes.ListingsRead] = "read your firm's unpublished lots",
        [ApiScopes.ListingsWrite] = "create, change and withdraw your firm's lots",
        [ApiScopes.DemandsWrite] = "post and change your firm's wanted demands",
        [ApiScopes.OrdersWrite] = "reserve and buy material for your firm",
        [ApiScopes.OrdersRead] = "see your firm's orders, their history and invoices",
        [ApiScopes.MatchingRead] = "see your firm's matching proposals",
        [ApiScopes.MatchingWrite] = "decline your firm's matching proposals",
        [ApiScopes.FirmAdmin] = "administer your firm: its profile, members, invitations and API clients",
        [ApiScopes.Admin] = "administer the marketplace",
    };

    /// <summary>The application's name.</summary>
    public string ApplicationName { get; private set; } = "";

    /// <summary>The person.</summary>
    public string? UserName { get; private set; }

    /// <summary>The firm the person would act for.</summary>
    public string? FirmName { get; private set; }

    /// <summary>What the application asks for, in words.</summary>
    public IReadOnlyList<string> Scopes { get; private set; } = [];

    /// <summary>The authorization request's parameters, posted back with the answer.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; private set; } = [];

    /// <summary>Shows what the application asks for.</summary>
    public async Task<IActionResult> OnGetAsync()
    {
        var signedIn = await HttpContext.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        var user = signedIn.Succeeded ? await users.GetUserAsync(signedIn.Principal!) : null;
        if (user is null)
        {
            return LocalRedirect("/account/sign-in?returnUrl=" + Uri.EscapeDataString("/connect/authorize" + Request.QueryString));
        }

        var clientId = Request.Query[OpenIddictConstants.Parameters.ClientId].ToString();
        var application = await applications.FindByClientIdAsync(clientId);
        if (application is null)
        {
            return NotFound();
        }

        ApplicationName = await applications.GetDisplayNameAsync(application) ?? clientId;
        UserName = user.DisplayName ?? user.Email;
        var wanted = Request.Query[ConnectEndpoints.TraderParameter].ToString();
        var memberships = await members.ForUserAsync(user.Id);
        var acting = string.IsNullOrEmpty(wanted) ? memberships.FirstOrDefault() : memberships.FirstOrDefault(m => m.TraderId == wanted);
        if (acting is not null)
        {
            FirmName = (await grains.GetGrain<ITraderGrain>(acting.TraderId).GetAsync())?.Profile?.Name ?? acting.TraderId;
        }

        Scopes = Request.Query[OpenIddictConstants.Parameters.Scope].ToString()
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => Descriptions.TryGetValue(s, out var d) ? d : s).ToArray();
        Parameters = Request.Query.SelectMany(p => p.Value.Select(v => KeyValuePair.Create(p.Key, v ?? ""))).ToArray();
        return Page();
    }
}
