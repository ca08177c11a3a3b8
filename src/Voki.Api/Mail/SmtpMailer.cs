using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Voki.Api.Mail;

/// <summary>Configuration section "Smtp": the relay Voki's own mail (password resets) goes out through.</summary>
public sealed class SmtpOptions
{
    public string Host { get; set; } = "";
    public int Port { get; set; } = 587;
    /// <summary>The sender, e.g. <c>Voki &lt;no-reply@voki.example.com&gt;</c>.</summary>
    public string From { get; set; } = "";
    public string UserName { get; set; } = "";
    public string Password { get; set; } = "";
    /// <summary>TLS required: implicit on port 465, STARTTLS elsewhere. Off only for a relay on a trusted network.</summary>
    public bool UseTls { get; set; } = true;
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Sends one message per connection: Voki mails rarely, so nothing is gained by holding a connection open.</summary>
public sealed class SmtpMailer(IOptions<SmtpOptions> options)
{
    private SmtpOptions Options => options.Value;

    public bool IsConfigured => Options.Host.Length > 0 && MailboxAddress.TryParse(Options.From, out _);

    public async Task SendAsync(MimeMessage message, CancellationToken cancellation)
    {
        var o = Options;
        message.From.Add(MailboxAddress.Parse(o.From));
        using var client = new SmtpClient { Timeout = (int)o.Timeout.TotalMilliseconds };
        var security = !o.UseTls ? SecureSocketOptions.None : o.Port == 465 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;
        await client.ConnectAsync(o.Host, o.Port, security, cancellation);
        if (o.UserName.Length > 0) await client.AuthenticateAsync(o.UserName, o.Password, cancellation);
        await client.SendAsync(message, cancellation);
        await client.DisconnectAsync(quit: true, cancellation);
    }
}
