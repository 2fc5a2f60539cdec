using System.Net;
using System.Net.Sockets;
using Marketplace.Identity;
using Microsoft.Extensions.DependencyInjection;
using static Marketplace.Host.Tests.Api.ApiDriver;

namespace Marketplace.Host.Tests.Identity;

/// <summary>The mail relay down: the pages that mail still answer, and nothing is left half-made.</summary>
public class MailOutageTests
{
    [Fact]
    public async Task RelayDown_RegistrationAndPasswordReset_AnswerAsUsual_AndTheMailWaitsForARetry()
    {
        // A port nothing listens on: every SMTP connection is refused at once.
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var server = await MarketplaceServer.StartAsync(new()
        {
            ["Mail:Provider"] = "Smtp", ["Mail:SmtpHost"] = "127.0.0.1", ["Mail:SmtpPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Mail:SmtpSecurity"] = "None",
        });
        using var browser = new Browser(server.Address);
        var email = Browser.NewEmail("relay-down");

        // Before, the account and the firm were stored and the answer was a 500: sending the form again said the business
        // id was taken (probe 28).
        var html = await browser.PageAsync("/account/register");
        var registered = await browser.SubmitAsync(html, "/account/register",
        [
            new("DisplayName", "Aino"), new("Email", email), new("Password", Browser.Password), new("FirmName", "Katkos Oy"),
            new("BusinessId", NewBusinessId()), new("Municipality", "Vantaa"), new("Roles", "seller"),
        ]);
        Assert.Equal(HttpStatusCode.Redirect, registered.StatusCode);
        Assert.Equal("/account/confirm-email", registered.Headers.Location?.OriginalString);

        // An address with an account and one without are answered alike, and neither is a 500.
        foreach (var address in new[] { email, Browser.NewEmail("relay-nobody") })
        {
            var sent = await browser.SubmitAsync(await browser.PageAsync("/account/forgot-password"), "/account/forgot-password", [new("Email", address)]);
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
            Assert.Contains("on its way", await sent.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The confirmation and the reset mail failed and wait to be tried again; the address with no account has none.
        var outbox = server.Services.GetRequiredService<MailOutbox>();
        Assert.True(await Eventually.TrueAsync(() => Task.FromResult(outbox.Retrying == 2), TimeSpan.FromSeconds(20)),
            $"expected 2 mails waiting for a retry, found {outbox.Retrying} (and {outbox.Waiting} waiting in all)");
    }
}
