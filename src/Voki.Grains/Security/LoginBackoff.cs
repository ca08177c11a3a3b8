namespace Voki.Grains.Security;

/// <summary>
/// How patient a login throttle is with one account: so many attempts in a row go through at once, then each further
/// attempt waits twice as long as the one before, from <paramref name="First"/> up to <paramref name="Max"/>.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record LoginBackoff([property: Id(0)] int FreeAttempts, [property: Id(1)] TimeSpan First, [property: Id(2)] TimeSpan Max)
{
    /// <summary>The wait after the <paramref name="attempts"/>th attempt in a row without a success.</summary>
    public TimeSpan WaitAfter(int attempts)
    {
        if (attempts <= FreeAttempts) return TimeSpan.Zero;
        var doublings = Math.Min(attempts - FreeAttempts - 1, 30);
        var wait = First.Ticks * (1L << doublings);
        return wait <= 0 || wait > Max.Ticks ? Max : TimeSpan.FromTicks(wait);
    }
}
