using System.Security.Claims;
using Marketplace.Domain.Common;
using Marketplace.Grains.Traders;
using Marketplace.Hosting.Problems;
using Marketplace.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Marketplace.Host.Api.Members;

/// <summary>Who is calling.</summary>
/// <param name="Subject">User id or client id.</param>
/// <param name="Kind"><c>person</c> or <c>client</c>.</param>
/// <param name="TraderId">The firm the token acts for.</param>
/// <param name="Role">Role in that firm.</param>
/// <param name="Scopes">Scopes the token carries.</param>
/// <param name="PlatformAdmin">True for a platform admin using the admin scope.</param>
/// <param name="Firms">Firms a person belongs to.</param>
public sealed record MeResponse(string Subject, string Kind, string? TraderId, string? Role, IReadOnlyList<string> Scopes, bool PlatformAdmin, IReadOnlyList<FirmMembershipDto> Firms);

/// <summary>A firm a person belongs to.</summary>
public sealed record FirmMembershipDto(string TraderId, string Role);

/// <summary>Invite someone to the firm.</summary>
/// <param name="Email">Address the invitation link goes to.</param>
/// <param name="Role"><c>member</c> (default) or <c>trader-admin</c>.</param>
public sealed record InviteRequest(string? Email, string? Role);

/// <summary>A member's new role.</summary>
/// <param name="Role"><c>member</c> or <c>trader-admin</c>.</param>
public sealed record ChangeRoleRequest(string? Role);

/// <summary>People and firms: who am I, a firm's members, invitations, removing a colleague.</summary>
public static class MembersApi
{
    /// <summary>Maps <c>/api/v1/me</c> and <c>/api/v1/traders/{id}/members|invitations</c>.</summary>
    public static IEndpointRouteBuilder MapMembersApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/api/v1/me").WithTags("Members").WithCommonProblems()
            .MapGet("/", MeAsync).WithName("GetMe").WithAccess(AccessRule.SignedIn)
            .WithSummary("Who the token belongs to, the firm it acts for, its scopes, and the firms a person belongs to.");

        var group = routes.MapGroup("/api/v1/traders/{id}").WithTags("Members").WithCommonProblems();
        group.MapGet("/members", ListAsync).WithName("ListMembers").WithAccess(AccessRule.FirmAdmin)
            .WithSummary("An admin of the firm lists its members.");
        group.MapPost("/invitations", InviteAsync).WithName("InviteMember").WithAccess(AccessRule.FirmAdmin)
            .WithSummary("An admin of the firm invites someone by mail; the link lets them sign up or sign in and join. Honours Idempotency-Key.");
        group.MapGet("/invitations", ListInvitationsAsync).WithName("ListInvitations").WithAccess(AccessRule.FirmAdmin)
            .WithSummary("An admin of the firm lists its open invitations (never their links).");
        group.MapDelete("/invitations/{invitationId}", RevokeInvitationAsync).WithName("RevokeInvitation").WithAccess(AccessRule.FirmAdmin)
            .WithSummary("An admin of the firm revokes an invitation that was not accepted: its link stops working at once. 409 invitation-accepted once accepted.");
        group.MapPatch("/members/{userId}", ChangeRoleAsync).WithName("ChangeMemberRole").WithAccess(AccessRule.FirmAdmin)
            .WithSummary("An admin of the firm gives a colleague another role (member or trader-admin); their tokens are revoked, so the new role holds from their next sign-in. The last admin cannot become a member.");
        group.MapDelete("/members/{userId}", RemoveAsync).WithName("RemoveMember").WithAccess(AccessRule.FirmAdmin)
            .WithSummary("An admin of the firm removes a colleague; their tokens stop working at once. The last admin cannot be removed.");
        return routes;
    }

    private static async Task<Ok<MeResponse>> MeAsync(ClaimsPrincipal user, FirmMembers members)
    {
        var person = user.IsPerson();
        var firms = person ? (await members.ForUserAsync(user.Subject())).Select(m => new FirmMembershipDto(m.TraderId, m.Role)).ToArray() : [];
        var scopes = OpenIddict.Abstractions.OpenIddictExtensions.GetScopes(user).ToArray();
        return TypedResults.Ok(new MeResponse(user.Subject(), person ? "person" : "client", user.TraderId(),
            user.FindFirst(Caller.TraderRoleClaim)?.Value, scopes, user.IsPlatformAdmin(), firms));
    }

    private static async Task<Ok<IReadOnlyList<MemberView>>> ListAsync(string id, ClaimsPrincipal user, FirmMembers members, IGrainFactory grains)
    {
        await EnsureFirmAdminAsync(user, id, grains);
        return TypedResults.Ok(await members.ListAsync(id));
    }

    private static async Task<Created<InvitationView>> InviteAsync(string id, InviteRequest request, ClaimsPrincipal user, FirmMembers members, IGrainFactory grains, PublicAddress address)
    {
        await EnsureFirmAdminAsync(user, id, grains);
        // The mail names the firm, in the language of the request (a page sends its own).
        var firm = (await grains.GetGrain<ITraderGrain>(id).GetAsync())?.Profile?.Name;
        var invitation = await members.InviteAsync(id, request.Email ?? "", request.Role ?? MemberRoles.Member, user.Subject(), address.Base, firm);
        return TypedResults.Created($"/api/v1/traders/{id}/members", invitation);
    }

    private static async Task<Ok<IReadOnlyList<InvitationView>>> ListInvitationsAsync(string id, ClaimsPrincipal user, FirmMembers members, IGrainFactory grains)
    {
        await EnsureFirmAdminAsync(user, id, grains);
        return TypedResults.Ok(await members.ListOpenAsync(id));
    }

    private static async Task<NoContent> RevokeInvitationAsync(string id, string invitationId, ClaimsPrincipal user, FirmMembers members, IGrainFactory grains)
    {
        await EnsureFirmAdminAsync(user, id, grains);
        await members.RevokeInvitationAsync(id, invitationId);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<MemberView>> ChangeRoleAsync(string id, string userId, ChangeRoleRequest request, ClaimsPrincipal user, FirmMembers members, IGrainFactory grains)
    {
        await EnsureFirmAdminAsync(user, id, grains);
        return TypedResults.Ok(await members.ChangeRoleAsync(id, userId, request.Role));
    }

    private static async Task<NoContent> RemoveAsync(string id, string userId, ClaimsPrincipal user, FirmMembers members, IGrainFactory grains)
    {
        await EnsureFirmAdminAsync(user, id, grains);
        await members.RemoveAsync(id, userId);
        return TypedResults.NoContent();
    }

    /// <summary>Refuses unless the caller administers the firm (or is a platform admin), and the firm exists.</summary>
    internal static async Task EnsureFirmAdminAsync(ClaimsPrincipal user, string traderId, IGrainFactory grains)
    {
        user.EnsureFirmAdmin(traderId);
        _ = await grains.GetGrain<ITraderGrain>(traderId).GetAsync() ?? throw DomainException.NotFound("trader", traderId);
    }
}
