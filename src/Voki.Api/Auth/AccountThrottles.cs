using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Voki.Grains.Grains;
using Voki.Grains.Security;

namespace Voki.Api.Auth;

/// <summary>
/// Limits that follow what is attacked rather than where from: a password guesser spreads over addresses, and a call
/// centre's hundred agents share one. Logins back off per account (cluster-wide, <see cref="ILoginThrottleGrain"/>);
/// refreshes are limited per token family, forgot-password mails per account and its requests per address (per node, like
/// the address limits).
/// </summary>
public sealed class AccountThrottles(IConfiguration configuration, IGrainFactory grains)
{
    private readonly LoginBackoff _backoff = new(
        configuration.GetValue("RateLimits:LoginAttemptsPerAccount", 5),
        configuration.GetValue("RateLimits:LoginBackoffFirst", TimeSpan.FromSeconds(1)),
        configuration.GetValue("RateLimits:LoginBackoffMax", TimeSpan.FromMinutes(15)));

    private readonly PartitionedRateLimiter<Guid> _refreshes =
        FixedWindows.PerKey<Guid>(configuration.GetValue("RateLimits:RefreshesPerFamilyPerMinute", 3), TimeSpan.FromMinutes(1));

    // Forgot-password: a mailbox is not flooded through its account, nor the mail relay from one address.
    private readonly PartitionedRateLimiter<string> _resetMails =
        FixedWindows.PerKey<string>(configuration.GetValue("RateLimits:PasswordResetMailsPerAccountPerHour", 3), TimeSpan.FromHours(1));
    private readonly PartitionedRateLimiter<string> _resetRequests =
        FixedWindows.PerKey<string>(configuration.GetValue("RateLimits:PasswordResetsPerAddressPerHour", 10), TimeSpan.FromHours(1));

    /// <summary>Zero when this login attempt may check its password, else how long the account still waits.</summary>
    public Task<TimeSpan> LoginAttempt(string tenant, string email) => Throttle(tenant, email).Attempt(_backoff);

    public Task LoginSucceeded(string tenant, string email) => Throttle(tenant, email).Succeeded();

    /// <summary>Whether the family may refresh now; otherwise how long until it may.</summary>
    public bool TryRefresh(Guid family, out TimeSpan retryAfter) => _refreshes.TryAcquire(family, TimeSpan.FromMinutes(1), out retryAfter);

    /// <summary>Whether another reset mail may go to this account (tenant + e-mail, whether it exists or not) this hour.</summary>
    public bool TryPasswordResetMail(string tenant, string email) => _resetMails.TryAcquire($"{tenant}/{EmailHash(email)}", TimeSpan.FromHours(1), out _);

    /// <summary>Whether the client address may ask for another reset this hour; otherwise how long until it may.</summary>
    public bool TryPasswordResetRequest(System.Net.IPAddress? client, out TimeSpan retryAfter) =>
        _resetRequests.TryAcquire(ClientAddress.Partition(client), TimeSpan.FromHours(1), out retryAfter);

    private static string EmailHash(string email) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(email.Trim().ToLowerInvariant())));

    private ILoginThrottleGrain Throttle(string tenant, string email) =>
        grains.GetGrain<ILoginThrottleGrain>($"{tenant}/{EmailHash(email)}");
}
