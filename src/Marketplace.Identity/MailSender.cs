using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Marketplace.Identity;

/// <summary>A message to one person.</summary>
/// <param name="To">Recipient address.</param>
/// <param name="Subject">Subject line.</param>
/// <param name="Body">Plain-text body.</param>
/// <param name="Link">The link the message is about (logged in embedded mode so a developer can follow it).</param>
public sealed record MailMessage(string To, string Subject, string Body, string? Link);

/// <summary>Sends mail: to files in embedded mode, over SMTP by configuration.</summary>
public interface IMailSender
{
    /// <summary>Sends (or stores) the message.</summary>
    Task SendAsync(MailMessage message, CancellationToken cancellationToken = default);
}

/// <summary>Mail settings (section <c>Mail</c>).</summary>
public sealed class MailOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Mail";

    /// <summary><c>File</c> (default: one .eml file per message under <c>data/mail</c>) or <c>Smtp</c>.</summary>
    public string Provider { get; set; } = "File";

    /// <summary>Sender address.</summary>
    public string From { get; set; } = "marketplace@localhost";

    /// <summary>SMTP server host name.</summary>
    public string? SmtpHost { get; set; }

    /// <summary>SMTP port; default 587 (submission with STARTTLS).</summary>
    public int SmtpPort { get; set; } = 587;

    /// <summary>SMTP user name; empty for no authentication.</summary>
    public string? SmtpUser { get; set; }

    /// <summary>SMTP password.</summary>
    public string? SmtpPassword { get; set; }

    /// <summary>
    /// Transport security: <c>StartTls</c> (default: the server must offer STARTTLS, or nothing is sent),
    /// <c>SslOnConnect</c> (implicit TLS, usually port 465), or <c>None</c> (plain text; only for a relay on the same
    /// machine or a test server).
    /// </summary>
    public SmtpSecurity SmtpSecurity { get; set; } = SmtpSecurity.StartTls;
}

/// <summary>How the SMTP connection is protected.</summary>
public enum SmtpSecurity
{
    /// <summary>Upgrade with STARTTLS; refuse a server that does not offer it.</summary>
    StartTls,

    /// <summary>TLS from the first byte.</summary>
    SslOnConnect,

    /// <summary>No encryption: say so explicitly.</summary>
    None,
}

/// <summary>Which addresses mail can be sent to: one plain address, nothing that a mail library would read as a name or a list.</summary>
public static class MailAddresses
{
    /// <summary>True for a single deliverable address such as <c>aino@purku.example</c> (at most 254 characters).</summary>
    public static bool IsValid(string? address)
    {
        if (string.IsNullOrWhiteSpace(address) || address.Length > 254 || address != address.Trim())
        {
            return false;
        }

        return new System.ComponentModel.DataAnnotations.EmailAddressAttribute().IsValid(address)
            && MailboxAddress.TryParse(address, out var mailbox) && mailbox.Address == address && string.IsNullOrEmpty(mailbox.Name)
            && mailbox.Domain.Contains('.', StringComparison.Ordinal) && !address.Any(char.IsWhiteSpace);
    }
}

/// <summary>Embedded mode: writes each message as an .eml file under the mail folder and logs its link.</summary>
public sealed class FileMailSender(string folder, ILogger<FileMailSender> logger, TimeProvider time, string from = "marketplace@localhost") : IMailSender
{
    /// <summary>Folder the messages go to.</summary>
    public string Folder { get; } = folder;

    /// <inheritdoc />
    public async Task SendAsync(MailMessage message, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Folder);
        var now = time.GetUtcNow();
        var id = Guid.NewGuid().ToString("N");
        var name = $"{now:yyyyMMdd-HHmmss}-{id}.eml";
        var text = new StringBuilder()
            .Append("From: ").Append(from).Append("\r\n")
            .Append("To: ").Append(message.To).Append("\r\n")
            .Append("Date: ").Append(now.ToString("r", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("Message-ID: <").Append(id).Append("@marketplace.local>\r\n")
            .Append("MIME-Version: 1.0\r\n")
            .Append("Subject: ").Append(message.Subject).Append("\r\n")
            .Append("Content-Type: text/plain; charset=utf-8\r\n\r\n")
            .Append(message.Body).Append("\r\n")
            .ToString();
        await File.WriteAllTextAsync(Path.Combine(Folder, name), text, cancellationToken);
        logger.LogInformation("Mail to {To} ({Subject}) written to {File}; link: {Link}", message.To, message.Subject, name, message.Link);
    }
}

/// <summary>Sends mail through an SMTP server with MailKit.</summary>
public sealed class SmtpMailSender(MailOptions options) : IMailSender
{
    /// <inheritdoc />
    public async Task SendAsync(MailMessage message, CancellationToken cancellationToken = default)
    {
        var mime = new MimeMessage();
        mime.From.Add(MailboxAddress.Parse(options.From));
        mime.To.Add(MailboxAddress.Parse(message.To));
        mime.Subject = message.Subject;
        mime.Body = new TextPart("plain") { Text = message.Body };

        using var smtp = new SmtpClient();
        var security = options.SmtpSecurity switch
        {
            SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
            SmtpSecurity.None => SecureSocketOptions.None,
            _ => SecureSocketOptions.StartTls,
        };
        await smtp.ConnectAsync(options.SmtpHost ?? throw new InvalidOperationException("Mail:Provider is Smtp but Mail:SmtpHost is empty: set the SMTP server."), options.SmtpPort, security, cancellationToken);
        if (!string.IsNullOrEmpty(options.SmtpUser))
        {
            await smtp.AuthenticateAsync(options.SmtpUser, options.SmtpPassword ?? "", cancellationToken);
        }

        await smtp.SendAsync(mime, cancellationToken);
        await smtp.DisconnectAsync(true, cancellationToken);
    }
}
