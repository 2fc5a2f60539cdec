namespace Marketplace.Host.Identity;

/// <summary>The API's OAuth scopes.</summary>
public static class ApiScopes
{
    /// <summary>Read the caller's own private lots (drafts, withdrawn, expired).</summary>
    public const string ListingsRead = "listings.read";

    /// <summary>Create, change, publish and withdraw the firm's lots; confirm holds on them.</summary>
    public const string ListingsWrite = "listings.write";

    /// <summary>Post and change "wanted" demands.</summary>
    public const string DemandsWrite = "demands.write";

    /// <summary>Hold and buy lots.</summary>
    public const string OrdersWrite = "orders.write";

    /// <summary>Read matching proposals.</summary>
    public const string MatchingRead = "matching.read";

    /// <summary>Platform administration; granted only to platform admins.</summary>
    public const string Admin = "admin";

    /// <summary>Every API scope.</summary>
    public static readonly IReadOnlyList<string> All = [ListingsRead, ListingsWrite, DemandsWrite, OrdersWrite, MatchingRead, Admin];

    /// <summary>Scopes a firm may give its own API clients (all but <see cref="Admin"/>).</summary>
    public static readonly IReadOnlyList<string> ForFirms = [ListingsRead, ListingsWrite, DemandsWrite, OrdersWrite, MatchingRead];
}
