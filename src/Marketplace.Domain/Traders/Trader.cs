using System.Net.Mail;
using System.Text.Json.Serialization;
using Marketplace.Domain.Common;

namespace Marketplace.Domain.Traders;

/// <summary>What a firm does on the marketplace.</summary>
[Flags]
public enum TraderRoles
{
    /// <summary>No role.</summary>
    None = 0,

    /// <summary>Lists lots.</summary>
    Seller = 1,

    /// <summary>Holds and buys lots, posts demands.</summary>
    Buyer = 2,

    /// <summary>A sharing-economy or logistics platform acting through the API.</summary>
    Operator = 4,
}

/// <summary>How to reach a firm; private to the firm.</summary>
public sealed record TraderContact(string? Person, string Email, string? Phone);

/// <summary>A firm's profile as entered, validated by <see cref="Trader"/>.</summary>
public sealed record TraderProfile
{
    /// <summary>Registered name of the firm.</summary>
    public required string Name { get; init; }

    /// <summary>Finnish business id (Y-tunnus), e.g. <c>1572860-0</c>.</summary>
    public required string BusinessId { get; init; }

    /// <summary>Home municipality.</summary>
    public string? Municipality { get; init; }

    /// <summary>Contact, visible only to the firm itself; required (null only in unvalidated input).</summary>
    public TraderContact? Contact { get; init; }

    /// <summary>Role codes: seller, buyer, operator.</summary>
    public required IReadOnlyList<string> Roles { get; init; }

    /// <summary>How the firm is invoiced and paid; private to the firm (the seller's IBAN is shown on its invoices).</summary>
    public TraderBilling? Billing { get; init; }
}

/// <summary>A firm's invoicing details: where it is paid as a seller and how it is invoiced as a buyer.</summary>
/// <param name="Iban">Account the firm is paid into as a seller (an IBAN).</param>
/// <param name="Bic">The account's bank's BIC.</param>
/// <param name="Address">Billing street address.</param>
/// <param name="PostalCode">Billing postal code.</param>
/// <param name="PostOffice">Billing post office.</param>
/// <param name="InvoiceEmail">Where invoices to the firm are emailed.</param>
/// <param name="EInvoiceAddress">The firm's e-invoice address (OVT code or IBAN).</param>
/// <param name="EInvoiceOperator">The firm's e-invoice operator code.</param>
public sealed record TraderBilling(string? Iban, string? Bic, string? Address, string? PostalCode, string? PostOffice,
    string? InvoiceEmail, string? EInvoiceAddress, string? EInvoiceOperator);

/// <summary>The firm's Stripe Connect (Express) account, for card payments to it as a seller.</summary>
/// <param name="AccountId">Stripe's account id (<c>acct_…</c>).</param>
/// <param name="ChargesEnabled">Stripe lets the account take charges (onboarding finished).</param>
/// <param name="PayoutsEnabled">Stripe pays out to the account.</param>
/// <param name="UpdatedAt">When Stripe last told us about the account.</param>
public sealed record StripeAccountLink(string AccountId, bool ChargesEnabled, bool PayoutsEnabled, DateTimeOffset UpdatedAt);

/// <summary>A platform admin's check of a firm.</summary>
/// <param name="By">The admin's token subject (shown only to platform admins).</param>
/// <param name="At">When it was verified.</param>
public sealed record TraderVerification(string By, DateTimeOffset At);

/// <summary>Something the platform tells a firm, e.g. that an admin hid one of its lots and why.</summary>
/// <param name="Id">Notice id (the same event twice is one notice).</param>
/// <param name="Kind"><c>listing-hidden</c>, <c>listing-restored</c>, <c>review-hidden</c> or <c>review-restored</c>.</param>
/// <param name="SubjectId">The lot or review concerned.</param>
/// <param name="Reason">The admin's reason, when there is one.</param>
/// <param name="At">When it happened.</param>
public sealed record TraderNotice(string Id, string Kind, string SubjectId, string? Reason, DateTimeOffset At);

/// <summary>A partial change to a firm's profile: null members stay as they are.</summary>
/// <param name="Name">New name.</param>
/// <param name="Municipality">New home municipality.</param>
/// <param name="Contact">New contact.</param>
/// <param name="Roles">New roles.</param>
/// <param name="Billing">Billing details member by member: a null member stays as it is, an empty one is removed.</param>
public sealed record TraderChanges(string? Name, string? Municipality, TraderContact? Contact, IReadOnlyList<string>? Roles, TraderBilling? Billing = null);

/// <summary>A firm trading on the marketplace and the lots it has listed.</summary>
public sealed class Trader
{
    [JsonInclude]
    private List<string> _listingIds = [];

    /// <summary>The same ids as a set, built on first use: a firm may have tens of thousands of lots (bulk imports).</summary>
    private HashSet<string>? _listingIdSet;

    [JsonInclude]
    private List<string> _demandIds = [];

    /// <summary>The demand ids as a set, built on first use (a firm may post thousands of wanted notices over the years).</summary>
    private HashSet<string>? _demandIdSet;

    /// <summary>
    /// The firm's demands not known to be closed: a new one is added, the demand tells of its closing (and of opening
    /// again). Kept in the firm's own record, so the open-demand bound counts without reading every demand ever posted.
    /// Null in a record stored before it: then every demand counts as open until read.
    /// </summary>
    [JsonInclude]
    private HashSet<string>? _openDemands;

    /// <summary>The index of the firm's lots by status (status code and the lot's version it was read at).</summary>
    [JsonInclude]
    private Dictionary<string, ListedLot> _listingStatuses = new(StringComparer.Ordinal);

    /// <summary>Empty state, for storage; a real firm is made by <see cref="Register"/>.</summary>
    public Trader()
    {
    }

    /// <summary>Trader id.</summary>
    [JsonInclude]
    public string Id { get; private set; } = "";

    /// <summary>The validated profile.</summary>
    [JsonInclude]
    public TraderProfile? Profile { get; private set; }

    /// <summary>Parsed roles.</summary>
    [JsonIgnore]
    public TraderRoles Roles => ParseRoles(Profile?.Roles ?? []).Roles;

    /// <summary>The subject (user or client) that registered the firm.</summary>
    [JsonInclude]
    public string RegisteredBy { get; private set; } = "";

    /// <summary>When it was registered.</summary>
    [JsonInclude]
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>When the profile last changed.</summary>
    [JsonInclude]
    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>The firm's Stripe connected account, once it started card onboarding.</summary>
    [JsonInclude]
    public StripeAccountLink? StripeAccount { get; private set; }

    /// <summary>Set once a platform admin has checked the firm (who and when); shown publicly as a badge.</summary>
    [JsonInclude]
    public TraderVerification? Verified { get; private set; }

    /// <summary>What the platform told the firm (a lot or review hidden, and why), newest last; the latest <see cref="NoticesKept"/>.</summary>
    [JsonInclude]
    private List<TraderNotice> _notices = [];

    /// <summary>How many notices a firm keeps.</summary>
    public const int NoticesKept = 50;

    /// <summary>True once <see cref="Register"/> has run.</summary>
    [JsonIgnore]
    public bool Exists => Profile is not null;

    /// <summary>The firm's notices, newest first.</summary>
    [JsonIgnore]
    public IEnumerable<TraderNotice> Notices => Enumerable.Reverse(_notices);

    /// <summary>A platform admin marks the firm as checked; verifying a verified firm again keeps the first verification. False when nothing changed.</summary>
    public bool Verify(string adminId, DateTimeOffset now)
    {
        EnsureExists();
        if (Verified is not null)
        {
            return false;
        }

        Verified = new TraderVerification(adminId, now);
        return true;
    }

    /// <summary>A platform admin takes the verification back; false when the firm was not verified.</summary>
    public bool Unverify()
    {
        EnsureExists();
        if (Verified is null)
        {
            return false;
        }

        Verified = null;
        return true;
    }

    /// <summary>Tells the firm something; a notice with an id already kept is not added again (a retry). False when nothing changed.</summary>
    public bool Notify(TraderNotice notice)
    {
        EnsureExists();
        if (_notices.Any(n => n.Id == notice.Id))
        {
            return false;
        }

        _notices.Add(notice);
        if (_notices.Count > NoticesKept)
        {
            _notices.RemoveRange(0, _notices.Count - NoticesKept);
        }

        return true;
    }

    /// <summary>Ids of the firm's lots, oldest first.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> ListingIds => _listingIds;

    /// <summary>Ids of the firm's demands, oldest first.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> DemandIds => _demandIds;

    /// <summary>Registers a firm after validating its profile.</summary>
    public static Trader Register(string id, TraderProfile profile, string registeredBy, DateTimeOffset now)
        => new()
        {
            Id = id,
            Profile = Validate(profile),
            RegisteredBy = registeredBy,
            CreatedAt = now,
            UpdatedAt = now,
        };

    /// <summary>
    /// True when <paramref name="again"/> (a firm just made by <see cref="Register"/> under this firm's id) is this
    /// firm's registration repeated: by the same subject with the same profile. A retried request whose id derives
    /// from its Idempotency-Key is then answered with this firm instead of a conflict.
    /// </summary>
    public bool IsSameRegistration(Trader again)
        => Exists && again.Profile is { } p && RegisteredBy == again.RegisteredBy
            && Profile! with { Roles = [] } == p with { Roles = [] } && Profile.Roles.SequenceEqual(p.Roles);

    /// <summary>Changes the profile; the business id is fixed once registered.</summary>
    public void Update(TraderChanges changes, DateTimeOffset now)
    {
        EnsureExists();
        var p = Profile!;
        Profile = Validate(p with
        {
            Name = changes.Name ?? p.Name,
            Municipality = changes.Municipality ?? p.Municipality,
            Contact = changes.Contact ?? p.Contact,
            Roles = changes.Roles ?? p.Roles,
            Billing = Merge(p.Billing, changes.Billing),
        });
        UpdatedAt = now;
    }

    /// <summary>Records a lot the firm listed.</summary>
    public void AddListing(string listingId)
    {
        EnsureExists();
        if (ListingIdSet.Add(listingId))
        {
            _listingIds.Add(listingId);
        }
    }

    /// <summary>Records lots the firm is about to list, each once; false when all were recorded already.</summary>
    public bool AddListings(IEnumerable<string> listingIds)
    {
        EnsureExists();
        var added = false;
        foreach (var id in listingIds)
        {
            if (ListingIdSet.Add(id))
            {
                _listingIds.Add(id);
                added = true;
            }
        }

        return added;
    }

    private HashSet<string> ListingIdSet => _listingIdSet ??= new HashSet<string>(_listingIds, StringComparer.Ordinal);

    /// <summary>
    /// How many pages the firm's lots are stored in apart from its own record (storage keeps a seller's tens of
    /// thousands of lots in pages, so a change writes only its page); 0 for a record that holds its lots itself, as
    /// every record did before pages.
    /// </summary>
    [JsonInclude]
    public int LotPages { get; private set; }

    /// <summary>The firm's entry for one of its lots (status and version), or null when the lot has not reported one.</summary>
    public ListedLot? ListedLot(string listingId) => _listingStatuses.GetValueOrDefault(listingId);

    /// <summary>
    /// How many pages the firm's demand ids are stored in apart from its own record (a new demand writes only its page);
    /// 0 for a record that holds its demand ids itself, as every record did before demand pages.
    /// </summary>
    [JsonInclude]
    public int DemandPages { get; private set; }

    /// <summary>
    /// The firm's newest demand ids, those after its demand pages' (oldest first): kept in its own record until there are
    /// enough to be worth a page write, so a new demand writes the record alone.
    /// </summary>
    [JsonInclude]
    public List<string> DemandsAfterPages { get; private set; } = [];

    /// <summary>
    /// This firm without its lots and demand ids, saying they are stored apart in <paramref name="lotPages"/> and
    /// <paramref name="demandPages"/> pages holding its first <paramref name="pagedDemands"/> demand ids (the rest are
    /// kept in the record, <see cref="DemandsAfterPages"/>): its own stored record.
    /// </summary>
    public Trader WithoutLots(int lotPages, int demandPages, int pagedDemands = 0)
    {
        var record = (Trader)MemberwiseClone();
        record._listingIds = [];
        record._listingIdSet = null;
        record._listingStatuses = new Dictionary<string, ListedLot>(StringComparer.Ordinal);
        record.LotPages = lotPages;
        record.DemandsAfterPages = _demandIds.Count > pagedDemands ? _demandIds[pagedDemands..] : [];
        record._demandIds = [];
        record._demandIdSet = null;
        record._openDemands = _openDemands is null ? null : new HashSet<string>(_openDemands, StringComparer.Ordinal);
        record.DemandPages = demandPages;
        return record;
    }

    /// <summary>
    /// Puts back the firm's demand ids read from their pages (oldest first), then those its record keeps after them
    /// (a page whose record's write failed may hold some of those already: each id once), replacing any it holds.
    /// </summary>
    public void RestoreDemands(List<string> demandIds)
    {
        var paged = new HashSet<string>(demandIds, StringComparer.Ordinal);
        demandIds.AddRange(DemandsAfterPages.Where(paged.Add));
        _demandIds = demandIds;
        _demandIdSet = null;
        DemandsAfterPages = [];
    }

    /// <summary>Puts back the firm's lots read from their pages (ids oldest first, with their entries), replacing any it holds.</summary>
    public void RestoreLots(List<string> listingIds, Dictionary<string, ListedLot> statuses)
    {
        _listingIds = listingIds;
        _listingIdSet = null;
        _listingStatuses = statuses;
    }

    /// <summary>
    /// The status code (<c>draft</c>, <c>active</c>, …) a lot of the firm last reported, or null when it has not
    /// reported one (a lot stored before the index existed): then only the lot itself knows.
    /// </summary>
    public string? ListingStatus(string listingId) => _listingStatuses.GetValueOrDefault(listingId)?.Status;

    /// <summary>
    /// Records a lot's status in the firm's index; a report older than the one recorded is ignored, so reports arriving
    /// out of order never undo a newer one. False when nothing changed.
    /// </summary>
    public bool RecordListingStatus(string listingId, string status, long version)
    {
        EnsureExists();
        if (!ListingIdSet.Contains(listingId)
            || (_listingStatuses.GetValueOrDefault(listingId) is { } known && (known.Version > version || known == new ListedLot(status, version))))
        {
            return false;
        }

        _listingStatuses[listingId] = new ListedLot(status, version);
        return true;
    }

    /// <summary>Records a demand the firm posted, as open; false when it was recorded already.</summary>
    public bool AddDemand(string demandId)
    {
        EnsureExists();
        if (!(_demandIdSet ??= new HashSet<string>(_demandIds, StringComparer.Ordinal)).Add(demandId))
        {
            return false;
        }

        _demandIds.Add(demandId);
        OpenDemandSet.Add(demandId);
        return true;
    }

    /// <summary>The firm's demands not known to be closed (see <see cref="SetDemandOpen"/>).</summary>
    [JsonIgnore]
    public IReadOnlyCollection<string> OpenDemandIds => OpenDemandSet;

    // A record from before the set counts all its demands as open; the bound's reading then finds the closed ones.
    private HashSet<string> OpenDemandSet => _openDemands ??= new HashSet<string>(_demandIds, StringComparer.Ordinal);

    /// <summary>
    /// Records that a demand of the firm is open or closed; a demand the firm never posted is ignored. False when
    /// nothing changed.
    /// </summary>
    public bool SetDemandOpen(string demandId, bool open)
    {
        EnsureExists();
        if (!(_demandIdSet ??= new HashSet<string>(_demandIds, StringComparer.Ordinal)).Contains(demandId))
        {
            return false;
        }

        return open ? OpenDemandSet.Add(demandId) : OpenDemandSet.Remove(demandId);
    }

    /// <summary>
    /// Links the firm's Stripe connected account, made when an admin starts card onboarding. Linking the same account
    /// again changes nothing; a firm has one account, so another one is refused. False when nothing changed.
    /// </summary>
    public bool LinkStripeAccount(string accountId, DateTimeOffset now)
    {
        EnsureExists();
        if (string.IsNullOrWhiteSpace(accountId) || !accountId.StartsWith("acct_", StringComparison.Ordinal))
        {
            throw DomainException.Invalid("accountId", "A Stripe connected account id starts with acct_.");
        }

        if (StripeAccount is { } linked)
        {
            return linked.AccountId == accountId
                ? false
                : throw DomainException.Conflict("stripe-account-linked", $"The firm already has the Stripe account {linked.AccountId}.",
                    new Dictionary<string, object?> { ["accountId"] = linked.AccountId });
        }

        StripeAccount = new StripeAccountLink(accountId, ChargesEnabled: false, PayoutsEnabled: false, now);
        return true;
    }

    /// <summary>
    /// Takes Stripe's news about the firm's account (an <c>account.updated</c> event). News about another account, or
    /// older than what the firm already knows (webhooks arrive out of order), changes nothing. False when nothing changed.
    /// Stripe stamps events to the whole second, so news from the second in which the account was linked is not older
    /// than the link.
    /// </summary>
    public bool UpdateStripeAccount(StripeAccountLink update)
    {
        EnsureExists();
        if (StripeAccount is { } linked && (linked.AccountId != update.AccountId || ProviderTime.IsOlderThan(update.UpdatedAt, linked.UpdatedAt)))
        {
            return false;
        }

        if (StripeAccount == update)
        {
            return false;
        }

        StripeAccount = update;
        return true;
    }

    /// <summary>True when the firm has the role.</summary>
    public bool Has(TraderRoles role) => (Roles & role) == role;

    /// <summary>Validates and normalises a profile; throws a validation error listing every bad field.</summary>
    public static TraderProfile Validate(TraderProfile p)
    {
        var v = new Validation();
        v.Text(p.Name, "name", 200);
        v.Require(BusinessId.IsValid(p.BusinessId), "businessId", "A Finnish business id has seven digits, a hyphen and a valid check digit, e.g. 1572860-0.");
        v.Text(p.Municipality, "municipality", 100, required: false);
        if (p.Contact is null)
        {
            v.Add("contact", "A contact with an email address is required.");
        }
        else
        {
            v.Require(IsEmail(p.Contact.Email), "contact.email", "The email address is not valid.");
            v.Text(p.Contact.Person, "contact.person", 200, required: false);
            v.Text(p.Contact.Phone, "contact.phone", 40, required: false);
        }

        var (roles, unknown) = ParseRoles(p.Roles ?? []);
        v.Require(unknown.Count == 0, "roles", $"Unknown roles: {string.Join(", ", unknown)}. Use seller, buyer or operator.");
        v.Require(roles != TraderRoles.None, "roles", "Give the firm at least one role: seller, buyer or operator.");
        var billing = BillingDetails.Validate(p.Billing, v);
        v.ThrowIfInvalid();
        return p with
        {
            Name = p.Name.Trim(),
            Roles = RoleCodes(roles),
            Billing = billing,
        };
    }

    /// <summary>Role codes in a stable order.</summary>
    public static IReadOnlyList<string> RoleCodes(TraderRoles roles)
        => Enum.GetValues<TraderRoles>().Where(r => r != TraderRoles.None && roles.HasFlag(r)).Select(r => r.ToString().ToLowerInvariant()).ToArray();

    private static (TraderRoles Roles, List<string> Unknown) ParseRoles(IEnumerable<string> codes)
    {
        var roles = TraderRoles.None;
        var unknown = new List<string>();
        foreach (var code in codes)
        {
            if (code is "seller" or "buyer" or "operator" && Enum.TryParse<TraderRoles>(code, ignoreCase: true, out var r))
            {
                roles |= r;
            }
            else
            {
                unknown.Add(code);
            }
        }

        return (roles, unknown);
    }

    /// <summary>True for one plain email address of at most 254 characters.</summary>
    internal static bool IsEmail(string? email)
        => !string.IsNullOrWhiteSpace(email) && email.Length <= 254 && MailAddress.TryCreate(email, out var a) && a.Address == email.Trim();

    /// <summary>The current billing details with the given members over them (empty text removes a member).</summary>
    private static TraderBilling? Merge(TraderBilling? current, TraderBilling? changes)
    {
        if (changes is null)
        {
            return current;
        }

        var c = current ?? BillingDetails.Empty;
        return new TraderBilling(
            changes.Iban ?? c.Iban,
            changes.Bic ?? c.Bic,
            changes.Address ?? c.Address,
            changes.PostalCode ?? c.PostalCode,
            changes.PostOffice ?? c.PostOffice,
            changes.InvoiceEmail ?? c.InvoiceEmail,
            changes.EInvoiceAddress ?? c.EInvoiceAddress,
            changes.EInvoiceOperator ?? c.EInvoiceOperator);
    }

    private void EnsureExists()
    {
        if (!Exists)
        {
            throw DomainException.NotFound("trader", Id);
        }
    }
}

/// <summary>A lot's entry in its firm's index: its status code as of a version of the lot.</summary>
public sealed record ListedLot(string Status, long Version);
