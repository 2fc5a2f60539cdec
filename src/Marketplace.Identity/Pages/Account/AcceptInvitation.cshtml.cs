using Marketplace.Grains.Traders;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Marketplace.Identity.Pages.Account;

/// <summary>
/// Accepts an invitation link: a signed-in person joins the firm; others are sent to sign up or sign in first. The
/// session cookie is read before the page's filters (the scheme named here; anonymous callers are let through), so the
/// form's antiforgery token, made for the signed-in person, is checked against that person: read only in the handler,
/// the check saw an anonymous caller and every join was refused with 400.
/// </summary>
[Microsoft.AspNetCore.Authorization.Authorize(AuthenticationSchemes = "Identity.Application")]
[Microsoft.AspNetCore.Authorization.AllowAnonymous]
public sealed class AcceptInvitationModel(UserManager<MarketplaceUser> users, FirmMembers members, IGrainFactory grains) : PageModel
{
    /// <summary>Secret from the link.</summary>
    [BindProperty(SupportsGet = true)]
    public string? Code { get; set; }

    /// <summary>The open invitation.</summary>
    public Invitation? Invitation { get; private set; }

    /// <summary>The firm's name.</summary>
    public string? FirmName { get; private set; }

    /// <summary>True when someone is signed in.</summary>
    public bool SignedIn { get; private set; }

    /// <summary>True once joined.</summary>
    public bool Joined { get; private set; }

    /// <summary>This page's URL, to come back to after signing in.</summary>
    public string SelfUrl => "/account/accept-invitation?code=" + Uri.EscapeDataString(Code ?? "");

    /// <summary>Shows the invitation.</summary>
    public async Task OnGetAsync() => await LoadAsync();

    /// <summary>Joins the firm.</summary>
    public async Task<IActionResult> OnPostAsync()
    {
        await LoadAsync();
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return LocalRedirect("/account/sign-in?returnUrl=" + Uri.EscapeDataString(SelfUrl));
        }

        Joined = Invitation is not null && await members.AcceptAsync(Code!, user);
        return Page();
    }

    private async Task LoadAsync()
    {
        Invitation = await members.FindOpenAsync(Code);
        if (Invitation is not null)
        {
            FirmName = (await grains.GetGrain<ITraderGrain>(Invitation.TraderId).GetAsync())?.Profile?.Name ?? Invitation.TraderId;
        }

        // Pages are not the API: the browser session (cookie) says who is here, not a bearer token.
        var session = await HttpContext.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        SignedIn = session.Succeeded;
        if (SignedIn)
        {
            HttpContext.User = session.Principal!;
        }
    }
}
