namespace Marketplace.Identity;

/// <summary>The API's OAuth scopes.</summary>
public static class ApiScopes
{
    /// <summary>Read the caller's own private lots (drafts, withdrawn, expired).</summary>
    public const string ListingsRead = "listings.read";

    /// <summary>Create, change, publish and withdraw the firm's lots; confirm holds on them.</summary>
    public const string ListingsWrite = "listings.write";

    /// <summary>Post and change "wanted" demands.</summary>
    public const string DemandsWrite = "demands.write";

    /// <summary>Hold and buy lots; check out, accept, hand over, cancel and dispute orders; record invoice payments.</summary>
    public const string OrdersWrite = "orders.write";

    /// <summary>Read the firm's orders (as buyer and seller), their audit trails and invoices.</summary>
    public const string OrdersRead = "orders.read";

    /// <summary>Read matching proposals.</summary>
    public const string MatchingRead = "matching.read";

    /// <summary>Decline matching proposals (accepting one needs <see cref="OrdersWrite"/>, confirming one <see cref="ListingsWrite"/>).</summary>
    public const string MatchingWrite = "matching.write";

    /// <summary>
    /// Administer the firm: register firms, change the firm's profile, its members, invitations and API clients.
    /// Only the marketplace's own client (<c>marketplace-web</c>) may ask for it, and only a firm's admins get its effect.
    /// </summary>
    public const string FirmAdmin = "firm.admin";

    /// <summary>Platform administration; granted only to platform admins.</summary>
    public const string Admin = "admin";

    /// <summary>Every API scope.</summary>
    public static readonly IReadOnlyList<string> All = [ListingsRead, ListingsWrite, DemandsWrite, OrdersWrite, OrdersRead, MatchingRead, MatchingWrite, FirmAdmin, Admin];

    /// <summary>
    /// Scopes a firm may give its own API clients and third-party applications: all but <see cref="FirmAdmin"/> and
    /// <see cref="Admin"/>, so no client can administer a firm or make clients with more than these.
    /// </summary>
    public static readonly IReadOnlyList<string> ForFirms = [ListingsRead, ListingsWrite, DemandsWrite, OrdersWrite, OrdersRead, MatchingRead, MatchingWrite];
}
