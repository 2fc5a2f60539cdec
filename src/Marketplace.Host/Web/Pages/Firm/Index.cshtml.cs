using Marketplace.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace Marketplace.Host.Web.Pages.Firm;

/// <summary>
/// The firm: its profile and badge, what the platform told it, its dashboard (tonnes reused and CO2e avoided), its
/// members and invitations, and its API clients (a new client's secret is shown once).
/// </summary>
[SessionUser]
public sealed class IndexModel(IStringLocalizer<IndexModel> text) : WebPage
{
    /// <summary>The firm.</summary>
    public FirmDoc? Firm { get; private set; }

    /// <summary>Notices, newest first.</summary>
    public IReadOnlyList<NoticeDoc> Notices { get; private set; } = [];

    /// <summary>The firm's carbon totals.</summary>
    public CarbonTotalsDoc? Carbon { get; private set; }

    /// <summary>Members, when the person may see them (firm admins).</summary>
    public IReadOnlyList<MemberView>? Members { get; private set; }

    /// <summary>Open invitations.</summary>
    public IReadOnlyList<InvitationView> Invitations { get; private set; } = [];

    /// <summary>API clients.</summary>
    public IReadOnlyList<ApiClientView> Clients { get; private set; } = [];

    /// <summary>A client just made: its id and secret, shown this once.</summary>
    public CreatedClientDoc? NewClient { get; private set; }

    /// <summary>The invitation form.</summary>
    [BindProperty]
    public InviteForm Invite { get; set; } = new();

    /// <summary>The new client form.</summary>
    [BindProperty]
    public ClientForm Client { get; set; } = new();

    /// <summary>What just happened.</summary>
    [TempData]
    public string? Done { get; set; }

    /// <summary>Scopes a firm may give its clients.</summary>
    public static IReadOnlyList<string> ClientScopes => ApiScopes.ForFirms;

    /// <inheritdoc />
    protected override bool RequiresSignIn => true;

    private string Base => $"/api/v1/traders/{Uri.EscapeDataString(TraderId ?? "")}";

    /// <summary>Shows the firm.</summary>
    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        return Page();
    }

    /// <summary>Invites a colleague by email.</summary>
    public async Task<IActionResult> OnPostInviteAsync(CancellationToken ct)
    {
        var sent = await Api.PostAsync<System.Text.Json.JsonElement>($"{Base}/invitations", new { email = Invite.Email ?? "", role = Invite.Role }, ct);
        if (sent.Ok)
        {
            Done = text["The invitation was sent to {0}.", Invite.Email ?? ""];
            return LocalRedirect("/firm#members");
        }

        ShowProblem(sent.Problem!, "Invite.");
        await LoadAsync(ct);
        return Page();
    }

    /// <summary>Revokes an open invitation.</summary>
    public Task<IActionResult> OnPostRevokeInvitationAsync(string invitation, CancellationToken ct)
        => ActAsync(() => Api.DeleteAsync($"{Base}/invitations/{Uri.EscapeDataString(invitation)}", ct), text["The invitation was revoked."], "members", ct);

    /// <summary>Removes a member.</summary>
    public Task<IActionResult> OnPostRemoveMemberAsync(string member, CancellationToken ct)
        => ActAsync(() => Api.DeleteAsync($"{Base}/members/{Uri.EscapeDataString(member)}", ct), text["The member was removed."], "members", ct);

    /// <summary>Gives a member another role (their tokens are revoked: the new role holds from their next sign-in).</summary>
    public Task<IActionResult> OnPostRoleAsync(string member, string role, CancellationToken ct)
        => ActAsync(() => Api.PatchAsync<System.Text.Json.JsonElement>($"{Base}/members/{Uri.EscapeDataString(member)}", new { role }, ct),
            text["The role was changed; it holds from their next sign-in."], "members", ct);

    /// <summary>Makes an API client and shows its secret once.</summary>
    public async Task<IActionResult> OnPostCreateClientAsync(CancellationToken ct)
    {
        var created = await Api.PostAsync<CreatedClientDoc>($"{Base}/clients", new { name = Client.Name ?? "", scopes = string.Join(' ', Client.Scopes) }, ct);
        if (created.Value is { } client)
        {
            // Not redirected: the secret is shown in this answer only, never stored for a later page.
            NewClient = client;
            Client = new ClientForm();
            ModelState.Clear();
        }
        else
        {
            ShowProblem(created.Problem!, "Client.");
        }

        await LoadAsync(ct);
        return Page();
    }

    /// <summary>Revokes an API client.</summary>
    public Task<IActionResult> OnPostRevokeClientAsync(string client, CancellationToken ct)
        => ActAsync(() => Api.DeleteAsync($"{Base}/clients/{Uri.EscapeDataString(client)}", ct), text["The client was revoked."], "clients", ct);

    private async Task<IActionResult> ActAsync(Func<Task<ApiResult<System.Text.Json.JsonElement>>> act, string done, string anchor, CancellationToken ct)
    {
        var result = await act();
        if (result.Ok)
        {
            Done = done;
            return LocalRedirect("/firm#" + anchor);
        }

        ShowProblem(result.Problem!);
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Firm = (await Api.GetAsync<FirmDoc>(Base, ct)).Value;
        Notices = (await Api.GetAsync<NoticesDoc>($"{Base}/notices", ct)).Value?.Items ?? [];
        Carbon = (await Api.GetAsync<CarbonTotalsDoc>($"/api/v1/carbon/traders/{Uri.EscapeDataString(TraderId ?? "")}", ct)).Value;
        Members = (await Api.GetAsync<List<MemberView>>($"{Base}/members", ct)).Value;
        if (Members is not null)
        {
            Invitations = (await Api.GetAsync<List<InvitationView>>($"{Base}/invitations", ct)).Value ?? [];
            Clients = (await Api.GetAsync<List<ApiClientView>>($"{Base}/clients", ct)).Value ?? [];
        }
    }
}
