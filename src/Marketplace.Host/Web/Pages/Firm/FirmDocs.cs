namespace Marketplace.Host.Web.Pages.Firm;

/// <summary>A firm's profile as its members see it, with the verification badge.</summary>
public sealed record FirmDoc(string Id, string Name, string BusinessId, string? Municipality, IReadOnlyList<string> Roles, bool Verified, DateTimeOffset? VerifiedAt);

/// <summary>A notice the platform sent the firm.</summary>
public sealed record NoticeDoc(string Id, string Kind, string SubjectId, string? Reason, DateTimeOffset At);

/// <summary>The firm's notices.</summary>
public sealed record NoticesDoc(IReadOnlyList<NoticeDoc> Items);

/// <summary>An API client just made, with its secret (shown once).</summary>
public sealed record CreatedClientDoc(string ClientId, string? ClientSecret, string Name);

/// <summary>The invitation form.</summary>
public sealed class InviteForm
{
    /// <summary>The colleague's email address.</summary>
    public string? Email { get; set; }

    /// <summary><c>member</c> or <c>trader-admin</c>.</summary>
    public string Role { get; set; } = "member";
}

/// <summary>The new API client form.</summary>
public sealed class ClientForm
{
    /// <summary>A name people recognise.</summary>
    public string? Name { get; set; }

    /// <summary>The scopes it may use.</summary>
    public List<string> Scopes { get; set; } = [];
}
