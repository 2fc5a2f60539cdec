using Marketplace.Identity;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc.Razor;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Marketplace.Host.Web;

/// <summary>The web pages: session cookie and sign-in through the marketplace's own OpenID Connect server, languages, static files.</summary>
public static class WebSetup
{
    /// <summary>Cookie scheme of a person's session on the pages (holds the first-party client's tokens).</summary>
    public const string CookieScheme = "marketplace.web";

    /// <summary>The first-party client's code + PKCE sign-in.</summary>
    public const string OidcScheme = "marketplace.oidc";

    /// <summary>Where the server sends the code back (registered in <c>Identity:FirstPartyRedirectUris</c>).</summary>
    public const string CallbackPath = Marketplace.Identity.MarketplaceIdentityOptions.FirstPartyCallbackPath;

    /// <summary>Named HTTP client calling this host's own API over loopback.</summary>
    public const string ApiClientName = "marketplace-api";

    /// <summary>The languages of the pages; the first is the default when the browser asks for neither.</summary>
    public static readonly string[] Cultures = ["fi", "en"];

    /// <summary>Adds the pages' services.</summary>
    public static WebApplicationBuilder AddMarketplaceWeb(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<WebOptions>().BindConfiguration(WebOptions.Section)
            .Validate(o => string.IsNullOrEmpty(o.ApiBaseAddress) || Uri.TryCreate(o.ApiBaseAddress, UriKind.Absolute, out _),
                $"{WebOptions.Section}:{nameof(WebOptions.ApiBaseAddress)} must be an absolute address such as http://127.0.0.1:5080.")
            .ValidateOnStart();
        var identity = builder.Configuration.GetSection(MarketplaceIdentityOptions.Section).Get<MarketplaceIdentityOptions>() ?? new MarketplaceIdentityOptions();

        services.AddLocalization();
        services.Configure<RequestLocalizationOptions>(o =>
        {
            o.SetDefaultCulture(Cultures[0]).AddSupportedCultures(Cultures).AddSupportedUICultures(Cultures);
            // The language switch's cookie first, then the browser's Accept-Language; never the query string.
            o.RequestCultureProviders = [new CookieRequestCultureProvider(), new AcceptLanguageHeaderRequestCultureProvider()];
        });

        // The host's pages live under Web/Pages, the sign-in pages under Pages/ of the identity assembly: every page
        // names its own absolute route, so the root is the project and the identity pages keep their layout folder.
        services.Configure<RazorPagesOptions>(o => o.RootDirectory = "/");
        services.Configure<RazorViewEngineOptions>(o =>
        {
            o.PageViewLocationFormats.Add("/Pages/Shared/{0}.cshtml");
            o.PageViewLocationFormats.Add("/Web/Pages/Shared/{0}.cshtml");
        });
        // Dates, times and check boxes read strictly, with a message in the person's language (FormValueBinderProvider).
        services.AddRazorPages().AddViewLocalization().AddMvcOptions(o => o.ModelBinderProviders.Insert(0, new FormValueBinderProvider()));

        services.AddHttpContextAccessor();
        services.AddScoped<WebSession>();
        services.AddScoped<MarketplaceApi>();
        // The pages' calls to this host carry its mark, so the sign-in server's per-address limit does not count the
        // refreshes of every person's session as one caller's (HostCalls).
        services.AddTransient<HostCallHandler>();
        services.AddHttpClient(ApiClientName, (sp, client) =>
        {
            client.BaseAddress = ApiBaseAddress(sp);
            client.Timeout = TimeSpan.FromSeconds(30);
        }).AddHttpMessageHandler<HostCallHandler>();

        services.AddAuthentication()
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = "marketplace.web";
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = identity.AllowLoopbackHttp ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
                o.ExpireTimeSpan = identity.RefreshTokenLifetime;
                o.SlidingExpiration = true;
                o.ForwardChallenge = OidcScheme;
            })
            .AddOpenIdConnect(OidcScheme, o =>
            {
                o.SignInScheme = CookieScheme;
                o.ClientId = IdentityDatabaseInitializer.FirstPartyClientId;
                o.ResponseType = ResponseTypes.Code;
                // The code comes back in the query string: a redirect, so signing in needs no script (form_post would).
                o.ResponseMode = ResponseModes.Query;
                o.UsePkce = true;
                o.CallbackPath = CallbackPath;
                o.SaveTokens = true;
                o.MapInboundClaims = false;
                o.GetClaimsFromUserInfoEndpoint = false;
                o.RequireHttpsMetadata = !identity.AllowLoopbackHttp;
                o.TokenValidationParameters.NameClaimType = Claims.Name;
                o.TokenValidationParameters.RoleClaimType = Claims.Role;
                o.Scope.Clear();
                foreach (var scope in new[] { Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.OfflineAccess }.Concat(ApiScopes.All))
                {
                    o.Scope.Add(scope);
                }

                // Lax and same-as-request: the callback is a top-level redirect, and embedded mode runs on plain loopback HTTP.
                o.CorrelationCookie.SameSite = SameSiteMode.Lax;
                o.NonceCookie.SameSite = SameSiteMode.Lax;
                o.CorrelationCookie.SecurePolicy = o.NonceCookie.SecurePolicy = identity.AllowLoopbackHttp ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
                // A callback that cannot finish (opened twice, from an old tab, or the code refused): a page that says
                // to sign in again, not a 500.
                o.Events.OnRemoteFailure = context =>
                {
                    context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(WebSetup))
                        .LogInformation(context.Failure, "A page sign-in did not complete; the person is asked to sign in again");
                    context.Response.Redirect("/error/401");
                    context.HandleResponse();
                    return Task.CompletedTask;
                };
            });
        // The server is this host: its address (configured, or where it listens) is known once it listens, and the
        // handler's options are built at the first sign-in, after that.
        services.AddOptions<OpenIdConnectOptions>(OidcScheme).Configure<PublicAddress, HostCalls>((o, address, calls) =>
        {
            o.Authority = address.Base;
            // The code is redeemed from this host for every person: marked, as the pages' other calls are.
            o.BackchannelHttpHandler = new HostCallHandler(calls) { InnerHandler = new SocketsHttpHandler() };
        });
        return builder;
    }

    /// <summary>Chooses the language of each request and serves the pages' static files (Leaflet, styles, scripts).</summary>
    public static WebApplication UseMarketplaceWeb(this WebApplication app)
    {
        app.Use(PagePolicy.ApplyAsync);
        app.UseRequestLocalization();
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(Path.Combine(AppContext.BaseDirectory, "wwwroot")),
            OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "public, max-age=3600",
        });
        app.Use(SignedInPersonAsync);
        return app;
    }

    /// <summary>
    /// On the pages (not the API, whose callers send tokens, nor the sign-in server's own pages) the person is the one
    /// of the session cookie. Set before any page filter runs, so the antiforgery check of a form sees the same person
    /// its token was made for.
    /// </summary>
    private static async Task SignedInPersonAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path;
        if (!path.StartsWithSegments("/api") && !path.StartsWithSegments("/connect") && !path.StartsWithSegments("/account")
            && context.User.Identity?.IsAuthenticated != true)
        {
            var session = await context.RequestServices.GetRequiredService<WebSession>().AuthenticateAsync();
            if (session.Succeeded)
            {
                context.User = session.Principal!;
            }
        }

        await next(context);
    }

    /// <summary>
    /// Maps what the pages need besides pages: <c>/matches/stream</c>, the person's match events relayed from the API
    /// (a browser's EventSource cannot send a bearer token, so the page's session supplies it).
    /// </summary>
    public static WebApplication MapMarketplaceWeb(this WebApplication app)
    {
        app.MapGet("/matches/stream", RelayMatchStreamAsync).ExcludeFromDescription().AllowAnonymous();
        return app;
    }

    private static async Task RelayMatchStreamAsync(HttpContext context, MarketplaceApi api, CancellationToken ct)
    {
        var lastEventId = context.Request.Headers["Last-Event-ID"].ToString();
        using var upstream = await api.OpenStreamAsync("/api/v1/matches/stream", lastEventId, ct);
        if (upstream is null)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        context.Response.StatusCode = (int)upstream.StatusCode;
        if (!upstream.IsSuccessStatusCode)
        {
            // EventSource stops on any answer but 200 text/event-stream; a 429 or 401 is final for this page view.
            return;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        await context.Response.StartAsync(ct);
        await using var events = await upstream.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[8192];
        try
        {
            int read;
            while ((read = await events.ReadAsync(buffer, ct)) > 0)
            {
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), ct);
                await context.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The page was closed.
        }
    }

    /// <summary>The address of this host's API: <c>Web:ApiBaseAddress</c>, else where it listens.</summary>
    internal static Uri ApiBaseAddress(IServiceProvider services)
    {
        var configured = services.GetRequiredService<IOptions<WebOptions>>().Value.ApiBaseAddress;
        if (!string.IsNullOrEmpty(configured))
        {
            return new Uri(configured, UriKind.Absolute);
        }

        var listening = services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException($"The host does not listen yet: set {WebOptions.Section}:{nameof(WebOptions.ApiBaseAddress)}.");
        var uri = new UriBuilder(listening.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::")
        {
            uri.Host = "localhost";
        }

        return new Uri(uri.Uri.GetLeftPart(UriPartial.Authority));
    }
}
