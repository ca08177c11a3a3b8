using Voki.Grains.Security;

namespace Voki.Grains.Grains;

/// <summary>
/// Key "{tenant}/{sha-256 of the lower-cased e-mail}": one per account that anyone tries to log in as, whether it exists
/// or not (so the throttle tells nothing about which do). One activation in the cluster, so a client spreading its
/// guesses over the nodes meets the same count. Kept in memory: a restart forgets it, which costs an attacker nothing
/// they could not get by waiting.
/// </summary>
public interface ILoginThrottleGrain : IGrainWithStringKey
{
    /// <summary>
    /// Counts an attempt and returns zero when it may go on to the password check, else how long until one may. The
    /// attempt counts before its outcome is known, so a burst of concurrent guesses cannot all pass the check at once.
    /// </summary>
    Task<TimeSpan> Attempt(LoginBackoff backoff);

    /// <summary>A correct password: the account's count starts again.</summary>
    Task Succeeded();
}

public sealed class LoginThrottleGrain : Grain, ILoginThrottleGrain
{
    private int _attempts;
    private DateTimeOffset _nextAllowed = DateTimeOffset.MinValue;

    public Task<TimeSpan> Attempt(LoginBackoff backoff)
    {
        var now = DateTimeOffset.UtcNow;
        if (now < _nextAllowed) return Task.FromResult(_nextAllowed - now);
        _attempts++;
        var wait = backoff.WaitAfter(_attempts);
        if (wait > TimeSpan.Zero)
        {
            _nextAllowed = now + wait;
            // An idle activation would be collected and forget the wait it imposes.
            DelayDeactivation(wait + TimeSpan.FromMinutes(1));
        }
        return Task.FromResult(TimeSpan.Zero);
    }

    public Task Succeeded()
    {
        _attempts = 0;
        _nextAllowed = DateTimeOffset.MinValue;
        return Task.CompletedTask;
    }
}
