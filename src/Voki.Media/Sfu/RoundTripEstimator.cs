namespace Voki.Media.Sfu;

/// <summary>
/// The round-trip time to one peer, from the report blocks it sends about our sender reports (RFC 3550 §6.4.1):
/// RTT = A − LSR − DLSR, where A is the middle 32 bits of our NTP clock when the report arrives. Smoothed like TCP's
/// SRTT (RFC 6298 §2, gain 1/8); <see cref="Default"/> until a first measurement.
/// </summary>
public sealed class RoundTripEstimator
{
    public static readonly TimeSpan Default = TimeSpan.FromMilliseconds(100);
    private static readonly uint Implausible = 10 * 65536; // ten seconds: a clock step, not a path
    private long _smoothedTicks = -1;

    public TimeSpan Current => Interlocked.Read(ref _smoothedTicks) is var ticks and >= 0 ? TimeSpan.FromTicks(ticks) : Default;
    public bool Measured => Interlocked.Read(ref _smoothedTicks) >= 0;

    /// <summary>Takes one report block's LSR and DLSR (1/65536 s units), received at <paramref name="nowNtp"/>.</summary>
    public void OnReport(uint lastSenderReport, uint delaySinceLastSenderReport, ulong nowNtp)
    {
        if (lastSenderReport == 0) return; // no SR of ours reached the peer yet
        var arrival = (uint)(nowNtp >> 16);
        var rtt = unchecked(arrival - lastSenderReport - delaySinceLastSenderReport);
        if (rtt > Implausible) return;
        var sample = rtt * TimeSpan.TicksPerSecond / 65536;
        var current = Interlocked.Read(ref _smoothedTicks);
        Interlocked.Exchange(ref _smoothedTicks, current < 0 ? sample : current + (sample - current) / 8);
    }
}
