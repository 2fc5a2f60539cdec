namespace Marketplace.Identity;

/// <summary>Sign-in, tokens and the identity store (section <c>Identity</c>).</summary>
public sealed class MarketplaceIdentityOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Identity";

    /// <summary>Where the identity store lives: <c>Sqlite</c> (embedded, default) or <c>PostgreSql</c> (cluster mode, shared by every host).</summary>
    public IdentityStore Store { get; set; } = IdentityStore.Sqlite;

    /// <summary>Connection string. For SQLite a relative <c>Data Source</c> is under the data folder; default <c>Data Source=identity.db</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Issuer URI written into tokens. Empty: the address of the request (fine for one host). Set it in cluster mode so every host issues and accepts the same issuer.</summary>
    public string? Issuer { get; set; }

    /// <summary>Signing certificate (PKCS#12 file) for cluster mode; empty in embedded mode, where keys are generated once under <c>data/keys</c>.</summary>
    public string? SigningCertificatePath { get; set; }

    /// <summary>Encryption certificate (PKCS#12 file) for cluster mode.</summary>
    public string? EncryptionCertificatePath { get; set; }

    /// <summary>Password of both certificate files, if any.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Lifetime of access tokens; default 1 hour.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Lifetime of refresh tokens (each use issues a new one); default 14 days.</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>
    /// How long a token (or authorization) entry found valid is remembered, so that calls with it do not read the identity
    /// store each time. Revocation through this host empties the cache at once; revocation by another process (another
    /// host, the <c>clients revoke</c> command) is seen after at most this long. Default: 5 seconds with the SQLite store
    /// (one host), off with PostgreSQL (several hosts share the store); zero turns it off.
    /// </summary>
    public TimeSpan? TokenEntryCacheDuration { get; set; }

    /// <summary>The <see cref="TokenEntryCacheDuration"/> in force, the store's default when none is set.</summary>
    public TimeSpan EffectiveTokenEntryCacheDuration
        => TokenEntryCacheDuration ?? (Store == IdentityStore.Sqlite ? TimeSpan.FromSeconds(5) : TimeSpan.Zero);

    /// <summary>How often expired tokens and authorizations are pruned; default 1 hour.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Requests per client address and minute to the token endpoint and to the sign-in form; default 60.</summary>
    public int RateLimitPerMinute { get; set; } = 60;

    /// <summary>Accept plain HTTP from loopback callers (embedded mode on one machine). Off in cluster mode: terminate TLS in front of the hosts.</summary>
    public bool AllowLoopbackHttp { get; set; } = true;

    /// <summary>Redirect URIs of the marketplace's own first-party client (<c>marketplace-web</c>); it needs no consent screen.</summary>
    public string[] FirstPartyRedirectUris { get; set; } = ["http://localhost:5080/signin-callback", "http://127.0.0.1/callback"];

    /// <summary>Where the marketplace's pages take the code back; in loopback development registered on every address the host listens on.</summary>
    public const string FirstPartyCallbackPath = "/signin-callback";

    /// <summary>How long an invitation link stays valid; default 7 days.</summary>
    public TimeSpan InvitationLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Public base address of links sent by mail (password reset, email confirmation, invitations), e.g.
    /// <c>https://marketplace.example</c>. Empty: <see cref="Issuer"/>; when that is empty too, only in loopback development
    /// (<see cref="AllowLoopbackHttp"/>), the address the host listens on. Never taken from a request's Host header.
    /// </summary>
    public string? PublicBaseAddress { get; set; }

    /// <summary>Password-reset requests per client address and hour; default 5. Then 429.</summary>
    public int ForgotPasswordPerHour { get; set; } = 5;

    /// <summary>
    /// How long a registration whose address is never confirmed keeps its firm's business id: after it, someone else
    /// registering that id takes it, and the unconfirmed account is deleted. Default 2 days (a confirmation link lasts 1).
    /// </summary>
    public TimeSpan UnconfirmedClaimLifetime { get; set; } = TimeSpan.FromDays(2);

    /// <summary>
    /// Registration form posts per client address and hour; default 20. Then 429. Each mails someone (a confirmation
    /// link, or an existing account's owner), so without a bound the form was a way to flood anyone's mailbox.
    /// </summary>
    public int RegistrationsPerHour { get; set; } = 20;

    /// <summary>
    /// Most firms one person belongs to when registering another through <c>POST /traders</c>; default 20. Then 409
    /// <c>firm-limit</c>. Each firm claims a business id, so without a bound one account could claim other firms' ids by
    /// the hundred. Joining by invitation is not limited.
    /// </summary>
    public int MaxFirmsPerPerson { get; set; } = 20;

    /// <summary>Failed sign-ins from one client address to one account before that address is refused for it; default 5.</summary>
    public int SignInFailuresPerAddress { get; set; } = 5;

    /// <summary>How long an address stays refused for an account after too many failures; default 15 minutes.</summary>
    public TimeSpan SignInBlockPeriod { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Failed sign-ins to one account, from any addresses, before the account itself is locked for 15 minutes; default 20.
    /// The second line after <see cref="SignInFailuresPerAddress"/>, so a single stranger cannot lock someone out.
    /// </summary>
    public int AccountLockoutFailures { get; set; } = 20;
}

/// <summary>Which database holds users, firms' members, API clients and tokens.</summary>
public enum IdentityStore
{
    /// <summary>An SQLite file under the data folder.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database shared by every host.</summary>
    PostgreSql,
}
