namespace Marketplace.Identity.Tests;

/// <summary>
/// In loopback development the pages' callback is registered on the addresses the host listens on (probe 12: a host
/// started on another port than 5080 answered every sign-in with a bare "redirect_uri is not valid").
/// </summary>
public sealed class LoopbackCallbackTests
{
    [Theory]
    [InlineData("http://localhost:5396", "http://localhost:5396/signin-callback", "http://127.0.0.1:5396/signin-callback", "http://[::1]:5396/signin-callback")]
    [InlineData("http://127.0.0.1:5396;https://localhost:5443", "http://127.0.0.1:5396/signin-callback", "https://localhost:5443/signin-callback")]
    [InlineData("http://+:8080", "http://localhost:8080/signin-callback", "http://127.0.0.1:8080/signin-callback")]
    [InlineData("http://0.0.0.0:8080", "http://localhost:8080/signin-callback")]
    public void LoopbackCallbacks_AreTheCallbackOnEveryLoopbackNameOfEachAddress(string urls, params string[] expected)
    {
        var callbacks = IdentityDatabaseInitializer.LoopbackCallbacks(urls).Select(u => u.AbsoluteUri).ToArray();
        foreach (var uri in expected)
        {
            Assert.Contains(uri, callbacks);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("http://127.0.0.1:0")]
    [InlineData("http://marketplace.example:5080")]
    [InlineData("not a url")]
    public void LoopbackCallbacks_OfNoLoopbackAddressWithAPort_AreNone(string? urls)
        => Assert.Empty(IdentityDatabaseInitializer.LoopbackCallbacks(urls));
}
