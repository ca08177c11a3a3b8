namespace Voki.Media.Sfu;

/// <summary>
/// What one subscriber may have retransmitted of one track (RFC 4585 §6.2.1 leaves it to the sender): a token bucket
/// in bytes that every forwarded packet refills by a share of its size, plus a floor per second, so the allowance follows
/// the track's bitrate and a NACK storm costs at most that share, while honest loss of a few percent is always served.
/// Guarded by the subscriber's send gate, like the packets it counts.
/// </summary>
public sealed class RetransmissionBudget(double share, int floorBytesPerSecond, int capacityBytes)
{
    private double _tokens = capacityBytes;
    private TimeSpan _refilledAt = MediaNode.Now;

    /// <summary>A packet of <paramref name="bytes"/> went to the subscriber for the first time.</summary>
    public void Earn(int bytes) => _tokens = Math.Min(capacityBytes, _tokens + bytes * share);

    /// <summary>Takes <paramref name="bytes"/> for one retransmission; false, and nothing taken, when the budget is spent.</summary>
    public bool TrySpend(int bytes, TimeSpan now)
    {
        if (now > _refilledAt)
        {
            _tokens = Math.Min(capacityBytes, _tokens + (now - _refilledAt).TotalSeconds * floorBytesPerSecond);
            _refilledAt = now;
        }
        if (_tokens < bytes) return false;
        _tokens -= bytes;
        return true;
    }
}
