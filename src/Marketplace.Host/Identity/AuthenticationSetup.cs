using System.Text.Encodings.Web;
using Marketplace.Host.Api.Problems;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Marketplace.Host.Identity;

/// <summary>Authentication until the identity server arrives: nobody is signed in, so every guarded endpoint answers 401.</summary>
/// <remarks>Tests register their own scheme and make it the default; the host never trusts a test scheme.</remarks>
public static class AuthenticationSetup
{
    /// <summary>Name of the scheme that authenticates nobody.</summary>
    public const string NoSignInScheme = "NoSignIn";

    /// <summary>Adds authentication and authorization.</summary>
    public static IServiceCollection AddMarketplaceAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(NoSignInScheme)
            .AddScheme<AuthenticationSchemeOptions, NoSignInHandler>(NoSignInScheme, _ => { });
        services.AddAuthorization();
        return services;
    }

    /// <summary>Authenticates nobody; answers challenges and refusals with problem documents.</summary>
    private sealed class NoSignInHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());

        protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            Response.Headers.WWWAuthenticate = "Bearer";
            return ApiProblems.Write(Context, ApiProblems.Unauthenticated());
        }

        protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
            => ApiProblems.Write(Context, ApiProblems.Forbidden());
    }
}
