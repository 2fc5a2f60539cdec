using System.Net;
using Microsoft.Extensions.Options;

namespace Marketplace.Identity.Tests;

/// <summary>Failed sign-ins counted per client address and account.</summary>
public class SignInThrottleTests
{
    [Fact]
    public void Failed_UnderAnotherSpellingOfTheSameAccount_CountsForThatAccount()
    {
        var throttle = new SignInThrottle(Options.Create(new MarketplaceIdentityOptions { SignInFailuresPerAddress = 5 }), TimeProvider.System);
        var from = IPAddress.Parse("192.0.2.7");

        // A Kelvin sign is a K to the identity store's lookup: before, each spelling had five tries of its own (probe 28).
        foreach (var spelling in new[] { "kate.k@purku.example", "\u212Aate.k@purku.example", " KATE.\u212A@PURKU.EXAMPLE", "kate.k@purku.example", "kate.\u212A@purku.example" })
        {
            Assert.False(throttle.IsBlocked(from, "kate.k@purku.example"));
            throttle.Failed(from, spelling);
        }

        Assert.True(throttle.IsBlocked(from, "\u212Aate.\u212A@purku.example"));
        Assert.True(throttle.IsBlocked(from, "kate.k@purku.example"));
        Assert.False(throttle.IsBlocked(IPAddress.Parse("192.0.2.8"), "kate.k@purku.example"));
    }

    [Fact]
    public void Failed_WithTextThatIsNotUnicode_IsCountedWithoutThrowing()
    {
        var throttle = new SignInThrottle(Options.Create(new MarketplaceIdentityOptions { SignInFailuresPerAddress = 1 }), TimeProvider.System);
        throttle.Failed(IPAddress.Loopback, "a\uD800b@purku.example");
        Assert.True(throttle.IsBlocked(IPAddress.Loopback, "a\uD800b@purku.example"));
    }
}
