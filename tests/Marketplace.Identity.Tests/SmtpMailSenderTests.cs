using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Marketplace.Identity.Tests;

/// <summary>The SMTP sender (MailKit) against a local server that speaks SMTP as RFC 5321 describes, recording what it was sent.</summary>
public class SmtpMailSenderTests
{
    [Fact]
    public async Task Send_DeliversTheMessageOverSmtp_WithSenderRecipientAndLink()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var conversation = ServeOneSessionAsync(listener);

        // This test server offers no STARTTLS, so plain text must be chosen explicitly.
        var sender = new SmtpMailSender(new MailOptions { Provider = "Smtp", SmtpHost = "127.0.0.1", SmtpPort = port, From = "noreply@marketplace.example", SmtpSecurity = SmtpSecurity.None });
        await sender.SendAsync(new MailMessage("aino@purku.example", "You are invited", "Open https://marketplace.example/account/accept-invitation?code=abc", "https://marketplace.example/account/accept-invitation?code=abc"));

        var (commands, data) = await conversation.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains(commands, c => c.StartsWith("EHLO", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("MAIL FROM:<noreply@marketplace.example>", commands[commands.FindIndex(c => c.StartsWith("MAIL", StringComparison.Ordinal))], StringComparison.Ordinal);
        Assert.Contains("RCPT TO:<aino@purku.example>", commands[commands.FindIndex(c => c.StartsWith("RCPT", StringComparison.Ordinal))], StringComparison.Ordinal);
        Assert.Contains("Subject: You are invited", data, StringComparison.Ordinal);
        Assert.Contains("accept-invitation?code=abc", data, StringComparison.Ordinal);
        Assert.Contains("QUIT", commands);
    }

    [Fact]
    public async Task Send_ToAServerWithoutStartTls_SendsNothing_UnlessPlainTextIsConfigured()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var conversation = ServeOneSessionAsync(listener);

        var sender = new SmtpMailSender(new MailOptions { Provider = "Smtp", SmtpHost = "127.0.0.1", SmtpPort = port, From = "noreply@marketplace.example" });
        await Assert.ThrowsAnyAsync<Exception>(() => sender.SendAsync(new MailMessage("aino@purku.example", "Reset", "https://marketplace.example/account/reset-password?code=secret", null)));

        var (commands, data) = await conversation.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(commands, c => c.StartsWith("MAIL", StringComparison.OrdinalIgnoreCase));
        Assert.Empty(data);
    }

    /// <summary>Answers one SMTP session (no STARTTLS, no AUTH offered) and returns the commands and the message data.</summary>
    private static async Task<(List<string> Commands, string Data)> ServeOneSessionAsync(TcpListener listener)
    {
        using var socket = await listener.AcceptTcpClientAsync();
        await using var stream = socket.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        var commands = new List<string>();
        var data = new StringBuilder();
        await writer.WriteLineAsync("220 localhost ESMTP test");
        while (await reader.ReadLineAsync() is { } line)
        {
            commands.Add(line);
            var verb = line.Split(' ')[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    await writer.WriteLineAsync("250-localhost");
                    await writer.WriteLineAsync("250 8BITMIME");
                    break;
                case "DATA":
                    await writer.WriteLineAsync("354 end with <CRLF>.<CRLF>");
                    while (await reader.ReadLineAsync() is { } body && body != ".")
                    {
                        data.AppendLine(body);
                    }

                    await writer.WriteLineAsync("250 queued");
                    break;
                case "QUIT":
                    await writer.WriteLineAsync("221 bye");
                    return (commands, data.ToString());
                default:
                    await writer.WriteLineAsync("250 ok");
                    break;
            }
        }

        return (commands, data.ToString());
    }
}
