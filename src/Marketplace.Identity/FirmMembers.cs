using System.Security.Cryptography;
using System.Text;
using Marketplace.Domain.Common;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace Marketplace.Identity;

/// <summary>A member of a firm as its admins see it.</summary>
public sealed record MemberView(string UserId, string Email, string? DisplayName, string Role, DateTimeOffset JoinedAt);

/// <summary>An invitation as its firm's admins see it (never the secret).</summary>
public sealed record InvitationView(string Id, string Email, string Role, DateTimeOffset ExpiresAt);

/// <summary>Who belongs to which firm: memberships, invitations by mail, and removing colleagues.</summary>
public sealed class FirmMembers(
    IdentityDb db,
    UserManager<MarketplaceUser> users,
    IOpenIddictTokenManager tokens,
    IOpenIddictAuthorizationManager authorizations,
    IMailSender mail,
    IOptions<MarketplaceIdentityOptions> options,
    TimeProvider time,
    IStringLocalizer<IdentityText> text)
{
    /// <summary>
    /// When every member of the firm is an account that never confirmed its address and was made before
    /// <paramref name="madeBefore"/> (its confirmation link has expired), deletes those accounts and answers true: the
    /// firm never acted (an account acts only once confirmed), and its business id must not stay claimed by whoever typed
    /// it into the registration form. Otherwise changes nothing and answers false.
    /// </summary>
    public async Task<bool> ForgetUnconfirmedAsync(string traderId, DateTimeOffset madeBefore, CancellationToken ct = default)
    {
        var memberships = await db.Memberships.Where(m => m.TraderId == traderId).ToListAsync(ct);
        var ids = memberships.Select(m => m.UserId).ToList();
        var people = await db.Users.Where(u => ids.Contains(u.Id)).ToListAsync(ct);
        if (memberships.Count == 0 || people.Count != ids.Count || people.Any(u => u.EmailConfirmed || u.CreatedAtTicks >= madeBefore.UtcTicks))
        {
            return false;
        }

        db.Memberships.RemoveRange(memberships);
        await db.SaveChangesAsync(ct);
        foreach (var person in people)
        {
            await users.DeleteAsync(person);
        }

        return true;
    }

    /// <summary>The firms a user belongs to, oldest membership first.</summary>
    public async Task<IReadOnlyList<Membership>> ForUserAsync(string userId, CancellationToken ct = default)
        => (await db.Memberships.AsNoTracking().Where(m => m.UserId == userId).ToListAsync(ct)).OrderBy(m => m.JoinedAtTicks).ToList();

    /// <summary>
    /// 409 <c>firm-limit</c> when the user already belongs to <see cref="MarketplaceIdentityOptions.MaxFirmsPerPerson"/>
    /// firms and is not a member of <paramref name="traderId"/> (a retried registration of the same firm passes).
    /// </summary>
    public async Task EnsureMayRegisterAsync(string userId, string traderId, CancellationToken ct = default)
    {
        var firms = await db.Memberships.AsNoTracking().Where(m => m.UserId == userId).Select(m => m.TraderId).ToListAsync(ct);
        var max = options.Value.MaxFirmsPerPerson;
        if (firms.Count >= max && !firms.Contains(traderId))
        {
            throw DomainException.Conflict("firm-limit", $"You already belong to {firms.Count} firms; a person who belongs to {max} registers no more (Identity:MaxFirmsPerPerson). Leave a firm you no longer act for, or ask the platform's operators.",
                new Dictionary<string, object?> { ["maxFirms"] = max });
        }
    }

    /// <summary>The user's role in the firm, or null when not a member.</summary>
    public async Task<string?> RoleAsync(string userId, string traderId, CancellationToken ct = default)
        => (await db.Memberships.AsNoTracking().FirstOrDefaultAsync(m => m.UserId == userId && m.TraderId == traderId, ct))?.Role;

    /// <summary>Adds (or upgrades) a membership.</summary>
    public async Task AddAsync(string userId, string traderId, string role, CancellationToken ct = default)
    {
        await StageMembershipAsync(userId, traderId, role, ct);
        await db.SaveChangesAsync(ct);
    }

    private async Task StageMembershipAsync(string userId, string traderId, string role, CancellationToken ct)
    {
        var existing = await db.Memberships.FirstOrDefaultAsync(m => m.UserId == userId && m.TraderId == traderId, ct);
        if (existing is null)
        {
            db.Memberships.Add(new Membership { UserId = userId, TraderId = traderId, Role = role, JoinedAtTicks = time.GetUtcNow().UtcTicks });
        }
        else if (existing.Role != MemberRoles.TraderAdmin)
        {
            existing.Role = role;
        }
    }

    /// <summary>The firm's members.</summary>
    public async Task<IReadOnlyList<MemberView>> ListAsync(string traderId, CancellationToken ct = default)
    {
        var rows = await (from m in db.Memberships.AsNoTracking()
                          join u in db.Users.AsNoTracking() on m.UserId equals u.Id
                          where m.TraderId == traderId
                          select new { m.UserId, u.Email, u.DisplayName, m.Role, m.JoinedAtTicks }).ToListAsync(ct);
        return rows.OrderBy(r => r.JoinedAtTicks)
            .Select(r => new MemberView(r.UserId, r.Email ?? "", r.DisplayName, r.Role, new DateTimeOffset(r.JoinedAtTicks, TimeSpan.Zero)))
            .ToList();
    }

    /// <summary>
    /// Removes a colleague and revokes their tokens at once; the last admin of a firm cannot be removed, also not by two
    /// admins removing each other at once: removing an admin changes the other admins' concurrency stamps in the same
    /// save, so of two such removals the second finds its rows changed and is refused.
    /// </summary>
    public async Task RemoveAsync(string traderId, string userId, CancellationToken ct = default)
    {
        var membership = await db.Memberships.FirstOrDefaultAsync(m => m.UserId == userId && m.TraderId == traderId, ct)
            ?? throw DomainException.NotFound("member", userId);
        if (membership.Role == MemberRoles.TraderAdmin)
        {
            await EnsureAnotherAdminAsync(traderId, userId, ct);
        }

        db.Memberships.Remove(membership);
        await SaveAndRevokeAsync(userId, ct);
    }

    /// <summary>
    /// Gives a member another role (<see cref="MemberRoles"/>). The last admin cannot become a member (as it cannot be
    /// removed, with the same guard against two admins demoting each other at once). The person's tokens are revoked, as
    /// on removal: they carry the role, so the new one holds from the next sign-in, not when the old tokens expire.
    /// </summary>
    public async Task<MemberView> ChangeRoleAsync(string traderId, string userId, string? role, CancellationToken ct = default)
    {
        var v = new Validation();
        v.Require(role is not null && MemberRoles.IsKnown(role), "role", "The role must be member or trader-admin.");
        v.ThrowIfInvalid();
        var membership = await db.Memberships.FirstOrDefaultAsync(m => m.UserId == userId && m.TraderId == traderId, ct)
            ?? throw DomainException.NotFound("member", userId);
        if (membership.Role != role)
        {
            if (membership.Role == MemberRoles.TraderAdmin)
            {
                await EnsureAnotherAdminAsync(traderId, userId, ct);
            }

            membership.Role = role!;
            membership.ConcurrencyStamp = Guid.NewGuid().ToString("N");
            await SaveAndRevokeAsync(userId, ct);
        }

        return (await ListAsync(traderId, ct)).First(m => m.UserId == userId);
    }

    /// <summary>Invitations one firm keeps open at once.</summary>
    public const int MaxOpenInvitations = 50;

    /// <summary>
    /// Invites someone by mail; the link (under <paramref name="baseAddress"/>, the <see cref="PublicAddress"/>) lets them
    /// sign up or sign in and join the firm. The mail names the firm (<paramref name="firmName"/>, else its id) and the
    /// person who invited (when <paramref name="invitedBy"/> is a person), in the language of the request.
    /// </summary>
    public async Task<InvitationView> InviteAsync(string traderId, string email, string role, string invitedBy, string baseAddress, string? firmName = null, CancellationToken ct = default)
    {
        email = email.Trim();
        var v = new Validation();
        v.Require(MailAddresses.IsValid(email), "email", "A single email address such as aino@purku.example is required.");
        v.Require(MemberRoles.IsKnown(role), "role", "The role must be member or trader-admin.");
        v.ThrowIfInvalid();

        // Each invitation is a mail to any address: one open invitation per address, and a bounded number per firm, so
        // the host cannot be made to mail one address or many without end (probe 14 sent 500 in seconds). Counted and
        // added under the firm's lock, so parallel invitations cannot pass either bound (probe 23 opened 7 to one address).
        var (invitation, secret, expires) = await db.UnderFirmLockAsync(traderId, () => AddInvitationAsync(traderId, email, role, invitedBy, ct), ct);
        var link = $"{baseAddress.TrimEnd('/')}/account/accept-invitation?code={secret}";
        // An API client's invitation has the client's id as its inviter: no person to name.
        var inviter = await users.FindByIdAsync(invitedBy) is { } person ? (string.IsNullOrWhiteSpace(person.DisplayName) ? person.Email : person.DisplayName) : null;
        await mail.SendAsync(AccountMail.Invitation(text, invitation.Email, string.IsNullOrWhiteSpace(firmName) ? traderId : firmName, inviter, role, expires, link), ct);
        return new InvitationView(invitation.Id, invitation.Email, role, expires);
    }

    private async Task<(Invitation Invitation, string Secret, DateTimeOffset Expires)> AddInvitationAsync(string traderId, string email, string role, string invitedBy, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcTicks;
        var open = db.Invitations.AsNoTracking().Where(i => i.TraderId == traderId && i.AcceptedBy == null && i.ExpiresAtTicks > now);
        var lowered = email.ToLowerInvariant();
        if (await open.Where(i => i.Email.ToLower() == lowered).Select(i => new { i.Id, i.ExpiresAtTicks }).FirstOrDefaultAsync(ct) is { } pending)
        {
            throw DomainException.Conflict("invitation-exists",
                $"An invitation to {email} is open until {new DateTimeOffset(pending.ExpiresAtTicks, TimeSpan.Zero):yyyy-MM-dd HH:mm} UTC: ask them to look for its mail, or revoke it to send a new one.",
                new Dictionary<string, object?> { ["invitationId"] = pending.Id });
        }

        if (await open.CountAsync(ct) >= MaxOpenInvitations)
        {
            throw DomainException.Conflict("invitation-limit",
                $"A firm keeps at most {MaxOpenInvitations} invitations open: revoke those no longer wanted, or wait for them to be accepted or expire.",
                new Dictionary<string, object?> { ["maxOpenInvitations"] = MaxOpenInvitations });
        }

        var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        var expires = time.GetUtcNow() + options.Value.InvitationLifetime;
        var invitation = new Invitation
        {
            Id = Guid.CreateVersion7().ToString("N"),
            TraderId = traderId,
            Email = email,
            Role = role,
            SecretHash = Hash(secret),
            InvitedBy = invitedBy,
            ExpiresAtTicks = expires.UtcTicks,
        };
        db.Invitations.Add(invitation);
        await db.SaveChangesAsync(ct);
        return (invitation, secret, expires);
    }

    /// <summary>Finds an open invitation by the secret in its link.</summary>
    public async Task<Invitation?> FindOpenAsync(string? secret, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(secret) || secret.Length > 128)
        {
            return null;
        }

        var hash = Hash(secret);
        var invitation = await db.Invitations.AsNoTracking().FirstOrDefaultAsync(i => i.SecretHash == hash, ct);
        return invitation is { AcceptedBy: null } && invitation.ExpiresAtTicks > time.GetUtcNow().UtcTicks ? invitation : null;
    }

    /// <summary>The firm's open invitations, soonest expiry first.</summary>
    public async Task<IReadOnlyList<InvitationView>> ListOpenAsync(string traderId, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcTicks;
        var rows = await db.Invitations.AsNoTracking().Where(i => i.TraderId == traderId && i.AcceptedBy == null && i.ExpiresAtTicks > now).ToListAsync(ct);
        return rows.OrderBy(i => i.ExpiresAtTicks).Select(i => new InvitationView(i.Id, i.Email, i.Role, new DateTimeOffset(i.ExpiresAtTicks, TimeSpan.Zero))).ToList();
    }

    /// <summary>Revokes an invitation that was not accepted: its link stops working at once.</summary>
    public async Task RevokeInvitationAsync(string traderId, string invitationId, CancellationToken ct = default)
    {
        var invitation = await db.Invitations.FirstOrDefaultAsync(i => i.Id == invitationId && i.TraderId == traderId, ct)
            ?? throw DomainException.NotFound("invitation", invitationId);
        if (invitation.AcceptedBy is not null)
        {
            throw DomainException.Conflict("invitation-accepted", "The invitation was already accepted: remove the member instead.");
        }

        db.Invitations.Remove(invitation);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            throw DomainException.Conflict("invitation-accepted", "The invitation was accepted meanwhile: remove the member instead.");
        }
    }

    /// <summary>
    /// Accepts an open invitation for the user: they become a member with the invited role. Returns false when the link
    /// is unknown, used, revoked or expired. Marking it accepted and adding the membership is one save, and
    /// <see cref="Invitation.AcceptedBy"/> is a concurrency token: of two acceptances at once, one wins.
    /// </summary>
    public async Task<bool> AcceptAsync(string secret, MarketplaceUser user, CancellationToken ct = default)
    {
        var open = await FindOpenAsync(secret, ct);
        if (open is null)
        {
            return false;
        }

        var invitation = await db.Invitations.FirstOrDefaultAsync(i => i.Id == open.Id && i.AcceptedBy == null, ct);
        if (invitation is null)
        {
            return false;
        }

        invitation.AcceptedBy = user.Id;
        await StageMembershipAsync(user.Id, invitation.TraderId, invitation.Role, ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return false;
        }

        if (!user.EmailConfirmed && string.Equals(user.Email, invitation.Email, StringComparison.OrdinalIgnoreCase))
        {
            // Following a link sent to the address proves the address.
            user.EmailConfirmed = true;
            await users.UpdateAsync(user);
        }

        return true;
    }

    /// <summary>
    /// Refuses (409 <c>last-admin</c>) unless the firm has an admin besides <paramref name="userId"/>, and changes those
    /// admins' concurrency stamps in the coming save: of two admins removed or demoted at once, the second save finds its
    /// rows changed and is refused, so the firm never ends without an admin.
    /// </summary>
    private async Task EnsureAnotherAdminAsync(string traderId, string userId, CancellationToken ct)
    {
        var otherAdmins = await db.Memberships.Where(m => m.TraderId == traderId && m.Role == MemberRoles.TraderAdmin && m.UserId != userId).ToListAsync(ct);
        if (otherAdmins.Count == 0)
        {
            throw LastAdmin();
        }

        foreach (var other in otherAdmins)
        {
            other.ConcurrencyStamp = Guid.NewGuid().ToString("N");
        }
    }

    /// <summary>
    /// Saves a removal or a role change, then revokes the person's tokens: they carry the firm and the role, so the change
    /// takes effect now, not when they expire. A save that lost a race with another admin's change in the firm is
    /// refused as <c>last-admin</c> (what is left may be the last admin).
    /// </summary>
    private async Task SaveAndRevokeAsync(string userId, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            throw LastAdmin();
        }

        // The authorizations too: a refresh or code redemption running now read the old role before this save and stores
        // its token after the revocation above; that token hangs on one of these authorizations, and is refused with it
        // (probe 23 kept a demoted admin's token working that way, and promoted itself back).
        await Revocation.RevokeTokensAsync(tokens, userId, ct);
        await Revocation.RevokeAuthorizationsAsync(authorizations, userId, ct);
    }

    private static DomainException LastAdmin()
        => DomainException.Conflict("last-admin", "A firm keeps at least one admin: make another member admin first (PATCH /api/v1/traders/{id}/members/{userId}, or the role button on the firm's page).");

    private static string Hash(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret))).ToLowerInvariant();
}
