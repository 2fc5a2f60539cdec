using Marketplace.Domain.Reviews;
using Marketplace.Domain.Traders;
using Marketplace.Host.Api.Reviews;

namespace Marketplace.Host.Api.Traders;

/// <summary>A firm's contact as sent by the client.</summary>
public sealed record ContactDto(string? Person, string? Email, string? Phone);

/// <summary>A firm's billing details as sent by the client; in a change, a missing member stays and an empty one is removed.</summary>
public sealed record BillingDto(string? Iban, string? Bic, string? Address, string? PostalCode, string? PostOffice,
    string? InvoiceEmail, string? EInvoiceAddress, string? EInvoiceOperator)
{
    /// <summary>The details to validate (or to merge over the current ones).</summary>
    public TraderBilling ToBilling() => new(Iban, Bic, Address, PostalCode, PostOffice, InvoiceEmail, EInvoiceAddress, EInvoiceOperator);
}

/// <summary>Registration of a firm.</summary>
public sealed record RegisterTraderRequest(string? Name, string? BusinessId, string? Municipality, ContactDto? Contact, IReadOnlyList<string>? Roles, BillingDto? Billing = null)
{
    /// <summary>The profile to validate.</summary>
    public TraderProfile ToProfile() => new()
    {
        Name = Name ?? "",
        BusinessId = BusinessId ?? "",
        Municipality = Municipality,
        Contact = Contact is null ? null : new TraderContact(Contact.Person, Contact.Email ?? "", Contact.Phone),
        Roles = Roles ?? [],
        Billing = Billing?.ToBilling(),
    };
}

/// <summary>A change to a firm's profile; missing fields stay as they are. The business id cannot change.</summary>
public sealed record UpdateTraderRequest(string? Name, string? Municipality, ContactDto? Contact, IReadOnlyList<string>? Roles, BillingDto? Billing = null)
{
    /// <summary>The changes to apply over the current profile.</summary>
    public TraderChanges ToChanges(TraderProfile current) => new(
        Name,
        Municipality,
        Contact is null ? null : new TraderContact(Contact.Person ?? current.Contact?.Person, Contact.Email ?? current.Contact?.Email ?? "", Contact.Phone ?? current.Contact?.Phone),
        Roles,
        Billing?.ToBilling());
}

/// <summary>A firm: everyone sees the public profile; the contact and billing details only the firm itself and platform admins.</summary>
public sealed record TraderResponse(
    string Id,
    string Name,
    string BusinessId,
    string? Municipality,
    IReadOnlyList<string> Roles,
    DateTimeOffset CreatedAt,
    TraderContact? Contact,
    int? ListingCount,
    TraderBilling? Billing,
    ReviewSummaryResponse? Reviews = null,
    bool Verified = false,
    DateTimeOffset? VerifiedAt = null,
    string? VerifiedBy = null)
{
    /// <summary>Maps a firm for a viewer; private fields only when the viewer is the firm; with its reviews' count and average when given.</summary>
    public static TraderResponse From(Trader t, string? viewerId, ReviewSummary? reviews = null)
    {
        var own = viewerId == t.Id;
        var p = t.Profile!;
        return new TraderResponse(t.Id, p.Name, p.BusinessId, p.Municipality, p.Roles, t.CreatedAt,
            own ? p.Contact : null, own ? t.ListingIds.Count : null, own ? p.Billing : null,
            reviews is null ? null : ReviewSummaryResponse.From(reviews),
            t.Verified is not null, t.Verified?.At, own ? t.Verified?.By : null);
    }
}

/// <summary>Something the platform told a firm (a lot or review hidden or restored, and why).</summary>
public sealed record NoticeResponse(string Id, string Kind, string SubjectId, string? Reason, DateTimeOffset At)
{
    /// <summary>Maps a notice.</summary>
    public static NoticeResponse From(TraderNotice n) => new(n.Id, n.Kind, n.SubjectId, n.Reason, n.At);
}

/// <summary>A firm's notices, newest first (the latest 50).</summary>
public sealed record NoticeListResponse(IReadOnlyList<NoticeResponse> Items);

/// <summary>A page of items and the cursor of the next page (null on the last page).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);
