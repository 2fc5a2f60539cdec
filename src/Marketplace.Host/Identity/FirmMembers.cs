using System.Security.Cryptography;
using System.Text;
using Marketplace.Domain.Common;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace Marketplace.Host.Identity;

/// <summary>A member of a firm as its admins see it.</summary>
public sealed record MemberView(string UserId, string Email, string? DisplayName, string Role, DateTimeOffset JoinedAt);

/// <summary>An invitation as its firm's admins see it (never the secret).</summary>
public sealed record InvitationView(string Id, string Email, string Role, DateTimeOffset ExpiresAt);

/// <summary>Who belongs to which firm: memberships, invitations by mail, and removing colleagues.</summary>
public sealed class FirmMembers(
    IdentityDb db,
    UserManager<MarketplaceUser> users,
    IOpenIddictTokenManager tokens,
    IMailSender mail,
    IOptions<MarketplaceIdentityOptions> options,
    TimeProvider time)
{
    /// <summary>The firms a user belongs to, oldest membership first.</summary>
    public async Task<IReadOnlyList<Membership>> ForUserAsync(string userId, CancellationToken ct = default)
        => (await db.Memberships.AsNoTracking().Where(m => m.UserId == userId).ToListAsync(ct)).OrderBy(m => m.JoinedAtTicks).ToList();

    /// <summary>The user's role in the firm, or null when not a member.</summary>
    public async Task<string?> RoleAsync(string userId, string traderId, CancellationToken ct = default)
        => (await db.Memberships.AsNoTracking().FirstOrDefaultAsync(m => m.UserId == userId && m.TraderId == traderId, ct))?.Role;

    /// <summary>Adds (or upgrades) a membership.</summary>
    public async Task AddAsync(string userId, string traderId, string role, CancellationToken ct = default)
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

        await db.SaveChangesAsync(ct);
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

    /// <summary>Removes a colleague and revokes their tokens at once; the last admin of a firm cannot be removed.</summary>
    public async Task RemoveAsync(string traderId, string userId, CancellationToken ct = default)
    {
        var membership = await db.Memberships.FirstOrDefaultAsync(m => m.UserId == userId && m.TraderId == traderId, ct)
            ?? throw DomainException.NotFound("member", userId);
        if (membership.Role == MemberRoles.TraderAdmin
            && await db.Memberships.CountAsync(m => m.TraderId == traderId && m.Role == MemberRoles.TraderAdmin, ct) == 1)
        {
            throw DomainException.Conflict("last-admin", "A firm keeps at least one admin: make another member admin before removing this one.");
        }

        db.Memberships.Remove(membership);
        await db.SaveChangesAsync(ct);
        // Tokens carry the firm they act for; revoke them so the removal takes effect now, not when they expire.
        await Revocation.RevokeTokensAsync(tokens, userId, ct);
    }

    /// <summary>Invites someone by mail; the link (under <paramref name="baseAddress"/>, the <see cref="PublicAddress"/>) lets them sign up or sign in and join the firm.</summary>
    public async Task<InvitationView> InviteAsync(string traderId, string email, string role, string invitedBy, string baseAddress, CancellationToken ct = default)
    {
        var v = new Validation();
        v.Require(!string.IsNullOrWhiteSpace(email) && email.Length <= 254 && email.Contains('@', StringComparison.Ordinal), "email", "An email address is required.");
        v.Require(MemberRoles.IsKnown(role), "role", "The role must be member or trader-admin.");
        v.ThrowIfInvalid();

        var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        var expires = time.GetUtcNow() + options.Value.InvitationLifetime;
        var invitation = new Invitation
        {
            Id = Guid.CreateVersion7().ToString("N"),
            TraderId = traderId,
            Email = email.Trim(),
            Role = role,
            SecretHash = Hash(secret),
            InvitedBy = invitedBy,
            ExpiresAtTicks = expires.UtcTicks,
        };
        db.Invitations.Add(invitation);
        await db.SaveChangesAsync(ct);

        var link = $"{baseAddress.TrimEnd('/')}/account/accept-invitation?code={secret}";
        await mail.SendAsync(new MailMessage(invitation.Email, "You are invited to a firm on the materials marketplace",
            $"You have been invited to join a firm on the circular materials marketplace as {role}.\r\n\r\nOpen this link to accept (valid until {expires:yyyy-MM-dd HH:mm} UTC):\r\n{link}\r\n", link), ct);
        return new InvitationView(invitation.Id, invitation.Email, role, expires);
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

    /// <summary>Accepts an open invitation for the user: they become a member with the invited role. Returns false when the link is unknown, used or expired.</summary>
    public async Task<bool> AcceptAsync(string secret, MarketplaceUser user, CancellationToken ct = default)
    {
        var open = await FindOpenAsync(secret, ct);
        if (open is null)
        {
            return false;
        }

        var invitation = await db.Invitations.FirstAsync(i => i.Id == open.Id, ct);
        invitation.AcceptedBy = user.Id;
        await db.SaveChangesAsync(ct);
        await AddAsync(user.Id, invitation.TraderId, invitation.Role, ct);
        if (!user.EmailConfirmed && string.Equals(user.Email, invitation.Email, StringComparison.OrdinalIgnoreCase))
        {
            // Following a link sent to the address proves the address.
            user.EmailConfirmed = true;
            await users.UpdateAsync(user);
        }

        return true;
    }

    private static string Hash(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret))).ToLowerInvariant();
}
