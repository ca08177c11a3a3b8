namespace Voki.Media.Sfu;

/// <summary>
/// How much of one subscriber's downlink retransmissions may take: a token bucket refilled at a share of its downlink
/// estimate. Without it, a link that has just become too thin drowns in answers to its own NACKs: every resend of a
/// packet the queue dropped joins the same queue, is dropped again and NACKed again, and the picture stays frozen
/// long after the publisher's bitrate was fitted.
/// </summary>
public sealed class RetransmissionAllowance
{
    /// <summary>The share of the downlink estimate retransmissions may use.</summary>
    public const double Share = 0.25;
    private static readonly TimeSpan Burst = TimeSpan.FromMilliseconds(250);
    private readonly object _gate = new();
    private double _bytes;
    private TimeSpan _refilledAt;

    /// <summary>Takes <paramref name="bytes"/> if the allowance has them; a subscriber without an estimate is not limited here.</summary>
    public bool TryTake(int bytes, long? downlinkBitsPerSecond, TimeSpan now)
    {
        if (downlinkBitsPerSecond is not { } estimate) return true;
        lock (_gate)
        {
            var bytesPerSecond = estimate * Share / 8;
            var capacity = bytesPerSecond * Burst.TotalSeconds;
            _bytes = Math.Min(capacity, _bytes + (now - _refilledAt).TotalSeconds * bytesPerSecond);
            _refilledAt = now;
            if (_bytes < bytes) return false;
            _bytes -= bytes;
            return true;
        }
    }
}
