using System.Net;
using System.Threading.RateLimiting;
using Marketplace.Hosting;
using Marketplace.Hosting.Problems;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenIddict.Validation;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Marketplace.Identity;

/// <summary>Registers identity: the store (users, firms' members, API clients), the OpenIddict server and validation, sign-in pages and limits.</summary>
public static class IdentitySetup
{
    /// <summary>Rate-limit partition name of the token endpoint and sign-in form.</summary>
    public const string RateLimitPolicy = "identity";

    /// <summary>
    /// The identity store and the services that work on it, without any web parts: used by the host and by the
    /// <c>clients</c> and <c>users</c> commands.
    /// </summary>
    public static IHostApplicationBuilder AddMarketplaceIdentityStore(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var section = builder.Configuration.GetSection(MarketplaceIdentityOptions.Section);
        var settings = section.Get<MarketplaceIdentityOptions>() ?? new MarketplaceIdentityOptions();
        services.Configure<MarketplaceIdentityOptions>(section);
        var dataFolder = DataFolder.Of(builder);

        if (settings.Store == IdentityStore.PostgreSql)
        {
            var connection = settings.ConnectionString
                ?? throw new InvalidOperationException("Identity:Store is PostgreSql but Identity:ConnectionString is empty: set it to the shared database, e.g. Host=db;Database=marketplace_identity;Username=...;Password=...");
            services.AddDbContext<IdentityDb, PostgreSqlIdentityDb>((sp, o) => o.UseNpgsql(connection).UseOpenIddict().AddInterceptors(sp.GetRequiredService<TokenEntryCache.RevocationPush>()));
        }
        else
        {
            var connection = SqliteConnectionString(settings.ConnectionString, dataFolder);
            services.AddDbContext<IdentityDb, SqliteIdentityDb>((sp, o) => o.UseSqlite(connection).UseOpenIddict().AddInterceptors(sp.GetRequiredService<TokenEntryCache.RevocationPush>()));
        }

        services.AddSingleton<TokenEntryCache>();
        services.AddSingleton<TokenEntryCache.RevocationPush>();
        var dataProtection = services.AddDataProtection().SetApplicationName("marketplace");
        if (settings.Store == IdentityStore.PostgreSql)
        {
            dataProtection.PersistKeysToDbContext<IdentityDb>();
        }
        else
        {
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataFolder, "keys", "data-protection")));
        }

        services.AddIdentityCore<MarketplaceUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 10;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                // The second line: the first is SignInThrottle, per client address and account.
                o.Lockout.MaxFailedAccessAttempts = settings.AccountLockoutFailures;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                o.Lockout.AllowedForNewUsers = true;
                // An account acts only once its address is confirmed through the mailed link.
                o.SignIn.RequireConfirmedEmail = true;
                o.ClaimsIdentity.UserIdClaimType = Claims.Subject;
                o.ClaimsIdentity.UserNameClaimType = Claims.Name;
                o.ClaimsIdentity.RoleClaimType = Claims.Role;
                o.ClaimsIdentity.EmailClaimType = Claims.Email;
            })
            .AddEntityFrameworkStores<IdentityDb>()
            .AddDefaultTokenProviders()
            .AddSignInManager();

        services.AddOpenIddict().AddCore(o => o.UseEntityFrameworkCore().UseDbContext<IdentityDb>());

        var mail = builder.Configuration.GetSection(MailOptions.Section).Get<MailOptions>() ?? new MailOptions();
        if (string.Equals(mail.Provider, "Smtp", StringComparison.OrdinalIgnoreCase))
        {
            services.AddKeyedSingleton<IMailSender>(MailOutbox.TransportKey, new SmtpMailSender(mail));
        }
        else
        {
            services.AddKeyedSingleton<IMailSender>(MailOutbox.TransportKey, (sp, _) => new FileMailSender(Path.Combine(dataFolder, "mail"), sp.GetRequiredService<ILogger<FileMailSender>>(), sp.GetRequiredService<TimeProvider>(), mail.From));
        }

        // The commands send straight through the transport; the host queues mail in its outbox (AddMarketplaceIdentity).
        services.AddSingleton<IMailSender>(sp => sp.GetRequiredKeyedService<IMailSender>(MailOutbox.TransportKey));

        services.AddScoped<FirmMembers>();
        services.AddScoped<ApiClientRegistry>();
        services.AddHostedService<IdentityDatabaseInitializer>();
        return builder;
    }

    /// <summary>The OpenIddict server and validation, cookies for the sign-in pages, authorization policies and rate limits.</summary>
    public static WebApplicationBuilder AddMarketplaceIdentity(this WebApplicationBuilder builder)
    {
        builder.AddMarketplaceIdentityStore();
        var services = builder.Services;
        var settings = builder.Configuration.GetSection(MarketplaceIdentityOptions.Section).Get<MarketplaceIdentityOptions>() ?? new MarketplaceIdentityOptions();
        PublicAddress.EnsureConfigured(settings);
        services.AddSingleton<PublicAddress>();
        services.AddScoped<AccountMail>();
        // Mail leaves the request: sent by the outbox's background loop, retried when the relay fails.
        services.AddSingleton<MailOutbox>();
        services.AddSingleton<MailBounds>();
        services.Replace(ServiceDescriptor.Singleton<IMailSender>(sp => sp.GetRequiredService<MailOutbox>()));
        services.AddHostedService(sp => sp.GetRequiredService<MailOutbox>());
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<HostCalls>();
        var keysFolder = Path.Combine(DataFolder.Of(builder), "keys");

        services.AddOpenIddict()
            .AddServer(o =>
            {
                o.SetAuthorizationEndpointUris("connect/authorize")
                    .SetTokenEndpointUris("connect/token")
                    .SetUserInfoEndpointUris("connect/userinfo")
                    .SetEndSessionEndpointUris("connect/logout")
                    .SetRevocationEndpointUris("connect/revoke");
                o.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange()
                    .AllowRefreshTokenFlow()
                    .AllowClientCredentialsFlow();
                o.RegisterScopes([Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.OfflineAccess, .. ApiScopes.All]);
                o.SetAccessTokenLifetime(settings.AccessTokenLifetime).SetRefreshTokenLifetime(settings.RefreshTokenLifetime);
                if (!string.IsNullOrEmpty(settings.Issuer))
                {
                    o.SetIssuer(new Uri(settings.Issuer, UriKind.Absolute));
                }

                if (string.IsNullOrEmpty(settings.SigningCertificatePath))
                {
                    o.AddSigningKey(SigningKeys.LoadOrCreate(Path.Combine(keysFolder, "signing.pem")))
                        .AddEncryptionKey(SigningKeys.LoadOrCreate(Path.Combine(keysFolder, "encryption.pem")));
                }
                else
                {
                    o.AddSigningCertificate(SigningKeys.LoadCertificate(settings.SigningCertificatePath, settings.CertificatePassword, "Identity:SigningCertificatePath"))
                        .AddEncryptionCertificate(SigningKeys.LoadCertificate(
                            settings.EncryptionCertificatePath ?? throw new InvalidOperationException("Identity:SigningCertificatePath is set but Identity:EncryptionCertificatePath is not: set both."),
                            settings.CertificatePassword, "Identity:EncryptionCertificatePath"));
                }

                // A client revokes only its own tokens (OpenIddict's check skips tokens without an audience).
                o.AddEventHandler(RevocationOwner.Descriptor);

                // S256 only: "plain" PKCE protects nothing and must not be advertised.
                o.Configure(server => server.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain));
                var aspNetCore = o.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough();
                if (settings.AllowLoopbackHttp)
                {
                    // Plain HTTP is then refused for anything but loopback callers by LoopbackHttpOnly below.
                    aspNetCore.DisableTransportSecurityRequirement();
                }
            })
            .AddValidation(o =>
            {
                o.UseLocalServer();
                o.UseAspNetCore();
                // Check the token's entry on every call, so a revoked token is refused at once; entries found valid are
                // remembered briefly and forgotten on every revocation (TokenEntryCache), and so is the principal a whole
                // validation made of an access token.
                o.EnableTokenEntryValidation();
                o.EnableAuthorizationEntryValidation();
                o.RemoveEventHandler(OpenIddictValidationHandlers.Protection.RestoreTokenEntryProperties.Descriptor);
                o.RemoveEventHandler(OpenIddictValidationHandlers.Protection.ValidateTokenEntry.Descriptor);
                o.RemoveEventHandler(OpenIddictValidationHandlers.Protection.ValidateAuthorizationEntry.Descriptor);
                o.RemoveEventHandler(OpenIddictValidationHandlers.ValidateAccessToken.Descriptor);
                o.AddEventHandler(TokenEntryCache.ValidateAccessToken.Descriptor);
                o.AddEventHandler(TokenEntryCache.RestoreTokenEntryProperties.Descriptor);
                o.AddEventHandler(TokenEntryCache.ValidateTokenEntry.Descriptor);
                o.AddEventHandler(TokenEntryCache.ValidateAuthorizationEntry.Descriptor);
                if (settings.AllowLoopbackHttp && string.IsNullOrEmpty(settings.Issuer))
                {
                    o.AddEventHandler<OpenIddictValidationEvents.ValidateTokenContext>(handler => handler
                        .UseInlineHandler(LoopbackIssuers.AcceptEveryLoopbackName)
                        .SetOrder(OpenIddictValidationHandlers.Protection.ResolveTokenValidationParameters.Descriptor.Order + 1));
                }
            });

        services.AddAuthentication(o =>
            {
                o.DefaultScheme = OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme;
                o.DefaultAuthenticateScheme = OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme;
                o.DefaultChallengeScheme = OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme;
                o.DefaultForbidScheme = OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme;
            })
            .AddIdentityCookies();
        // The cookie holds a session's key; the session itself is in the identity store, so signing out ends it.
        services.AddSingleton<SignInSessions>();
        services.AddSingleton<IPostConfigureOptions<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>, SignInSessionsSetup>();
        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/account/sign-in";
            o.LogoutPath = "/account/sign-out";
            o.AccessDeniedPath = "/account/sign-in";
            o.Cookie.Name = "marketplace.session";
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = settings.AllowLoopbackHttp ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromDays(14);
        });

        // The session's security stamp is checked on every request that reads the cookie (the sign-in server's and the
        // account pages, not the API): a password reset changes the stamp, and the browser of
        // whoever signed in before it must not go on getting tokens for up to the default half hour.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.Zero);

        services.AddAuthorization(o =>
        {
            foreach (var scope in ApiScopes.All)
            {
                o.AddPolicy(AccessRule.PolicyFor(scope), p => p.RequireAuthenticatedUser().RequireAssertion(c => c.User.HasScope(scope)));
            }
        });
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();

        services.AddRateLimiter(o =>
        {
            // The host's own calls (the pages redeeming codes, refreshing tokens) come from one address for everyone: not counted.
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => IsRateLimited(context.Request)
                                                                                            && !context.RequestServices.GetRequiredService<HostCalls>().IsMarked(context.Request)
                ? RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.RateLimitPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })
                : MailingRequest(context.Request) is { } mailing
                    // Each request mails someone: far fewer per address than sign-ins.
                    ? RateLimitPartition.GetFixedWindowLimiter($"{mailing}:{context.Connection.RemoteIpAddress?.ToString() ?? "unknown"}",
                        _ => new FixedWindowRateLimiterOptions
                        {
                            PermitLimit = mailing == "register" ? settings.RegistrationsPerHour : settings.ForgotPasswordPerHour,
                            Window = TimeSpan.FromHours(1),
                            QueueLimit = 0,
                        })
                    : RateLimitPartition.GetNoLimiter("unlimited"));
            o.OnRejected = async (context, ct) =>
            {
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? (int)Math.Ceiling(retryAfter.TotalSeconds) : 60;
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (context.HttpContext.RequestServices.GetRequiredService<IOptions<ProblemPageOptions>>().Value.ShowsPage(context.HttpContext))
                {
                    // A person's form (registration, a password reset): the error page says it in their language, with
                    // the wait the header gives, instead of a JSON document.
                    context.HttpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
                    context.HttpContext.Response.Headers.Location = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"/error/429?minutes={(seconds + 59) / 60}");
                    return;
                }

                await ApiProblems.Write(context.HttpContext, ApiProblems.TooManyRequests(seconds));
            };
        });

        services.AddRazorPages();
        services.AddHostedService<TokenPruner>();
        return builder;
    }

    /// <summary>Rate limits, the loopback rule for plain HTTP, then authentication and authorization.</summary>
    public static WebApplication UseMarketplaceIdentity(this WebApplication app)
    {
        app.UseRateLimiter();
        if (app.Services.GetRequiredService<IOptions<MarketplaceIdentityOptions>>().Value.AllowLoopbackHttp)
        {
            app.Use(LoopbackHttpOnly);
        }

        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>Maps the OpenID Connect endpoints and the sign-in pages.</summary>
    public static WebApplication MapMarketplaceIdentity(this WebApplication app)
    {
        app.MapConnectEndpoints();
        app.MapRazorPages().AllowAnonymous();
        return app;
    }

    /// <summary>The SQLite connection string, with a relative file placed under the data folder.</summary>
    public static string SqliteConnectionString(string? configured, string dataFolder)
    {
        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(configured ?? "Data Source=identity.db");
        if (!Path.IsPathRooted(builder.DataSource) && builder.DataSource != ":memory:")
        {
            builder.DataSource = Path.Combine(dataFolder, builder.DataSource);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(builder.DataSource)!);
        return builder.ToString();
    }

    /// <summary>"forgot-password" or "register" for a form post that mails someone (a reset link; a confirmation, or the owner's notice), else null.</summary>
    private static string? MailingRequest(HttpRequest request)
        => !HttpMethods.IsPost(request.Method) ? null
            : request.Path.StartsWithSegments("/account/forgot-password") ? "forgot-password"
            : request.Path.StartsWithSegments("/account/register") ? "register"
            : null;

    private static bool IsRateLimited(HttpRequest request)
        => HttpMethods.IsPost(request.Method)
           && (request.Path.StartsWithSegments("/connect/token") || request.Path.StartsWithSegments("/account/sign-in")
               || request.Path.StartsWithSegments("/account/reset-password"));

    /// <summary>In embedded mode the identity endpoints run over plain HTTP, but only for callers on this machine.</summary>
    internal static Task LoopbackHttpOnly(HttpContext context, RequestDelegate next)
    {
        var remote = context.Connection.RemoteIpAddress;
        var sensitive = context.Request.Path.StartsWithSegments("/connect") || context.Request.Path.StartsWithSegments("/account")
            || context.Request.Path.StartsWithSegments("/.well-known");
        if (sensitive && !context.Request.IsHttps && remote is not null && !IPAddress.IsLoopback(remote))
        {
            return ApiProblems.Write(context, ApiProblems.HttpsRequired());
        }

        return next(context);
    }
}
