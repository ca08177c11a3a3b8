using System.Threading.Channels;
using Microsoft.Extensions.Options;
using MimeKit;
using Voki.Api.Mail;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Api.Auth;

/// <summary>A forgot-password request as the endpoint took it: whose account it names and where the link must point.</summary>
/// <remarks><c>Origin</c> is null when no origin can be trusted with a token (PublicBaseUrl unset outside Development).</remarks>
public sealed record PasswordResetRequest(string Tenant, string Email, string? Origin);

/// <summary>
/// Forgot-password mails, looked up, issued and sent off the request: the request only queues, so it answers the same,
/// in the same time, whether the account exists, and a slow or dead SMTP server costs the caller nothing. Failures are
/// logged, never answered.
/// </summary>
public sealed class PasswordResetMails(
    IGrainFactory grains, UserRows users, PasswordResetStore resets, SmtpMailer mailer, AccountThrottles throttles,
    IOptions<AuthOptions> auth, ILogger<PasswordResetMails> logger) : BackgroundService
{
    private const int Senders = 4;

    private readonly Channel<PasswordResetRequest> _queue = Channel.CreateBounded<PasswordResetRequest>(
        new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Request(PasswordResetRequest request)
    {
        // Counted by the address asked for, existing or not, so the limit itself tells nothing about the account.
        if (!throttles.TryPasswordResetMail(request.Tenant, request.Email))
            logger.LogInformation("Password reset mail for an account of tenant {Tenant} not sent: that account's hourly limit is reached", request.Tenant);
        else if (!_queue.Writer.TryWrite(request))
            logger.LogWarning("Password reset mail for an account of tenant {Tenant} not sent: the mail queue is full", request.Tenant);
    }

    protected override Task ExecuteAsync(CancellationToken stopping) =>
        Task.WhenAll(Enumerable.Range(0, Senders).Select(_ => Task.Run(() => Send(stopping), stopping)));

    private async Task Send(CancellationToken stopping)
    {
        await foreach (var request in _queue.Reader.ReadAllAsync(stopping))
        {
            try
            {
                await Handle(request, stopping);
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                logger.LogError(e, "Password reset mail for an account of tenant {Tenant} could not be sent", request.Tenant);
            }
        }
    }

    private async Task Handle(PasswordResetRequest request, CancellationToken stopping)
    {
        if (await users.FindIdByEmailAsync(request.Tenant, request.Email) is not { } userId
            || await grains.GetGrain<IUserGrain>(TenantKey.For(request.Tenant, userId)).Get() is not { Active: true } user)
        {
            logger.LogInformation("Password reset asked for an address with no active account in tenant {Tenant}: no mail sent", request.Tenant);
            return;
        }
        if (!mailer.IsConfigured)
        {
            logger.LogWarning("Password reset mail for user {UserId} of tenant {Tenant} could not be sent: no SMTP server is configured (Smtp:Host, Smtp:From)",
                user.Id, request.Tenant);
            return;
        }
        if (request.Origin is null)
        {
            logger.LogWarning("Password reset mail for user {UserId} of tenant {Tenant} not sent: PublicBaseUrl is not set, and outside Development "
                + "the link is never built from the request's Host header", user.Id, request.Tenant);
            return;
        }
        var lifetime = auth.Value.PasswordResetTokenLifetime;
        var token = await resets.IssueAsync(request.Tenant, user.Id, lifetime);
        var company = await grains.GetGrain<ICompanyGrain>(TenantKey.ForCompany(request.Tenant)).Get();
        await mailer.SendAsync(Message(user, company?.Name ?? request.Tenant, $"{request.Origin}/app?reset_token={token}", lifetime), stopping);
        logger.LogInformation("Password reset mail sent to user {UserId} of tenant {Tenant}", user.Id, request.Tenant);
    }

    private static MimeMessage Message(User user, string company, string link, TimeSpan lifetime)
    {
        var message = new MimeMessage { Subject = "Reset your Voki password" };
        message.To.Add(new MailboxAddress(user.Name, user.Email));
        message.Body = new TextPart("plain")
        {
            Text = $"""
                Hello {user.Name},

                Someone, hopefully you, asked to reset the password of your Voki account {user.Email} at {company}.
                To choose a new password, open this link within {(int)Math.Round(lifetime.TotalMinutes)} minutes:

                {link}

                The link works once. If you did not ask for this, ignore this e-mail: your password stays as it is.
                """,
        };
        return message;
    }
}
