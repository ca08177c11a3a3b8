namespace Voki.Media.Sfu;

/// <summary>
/// Extends 16-bit RTP sequence numbers to 64 bits across wrap-around (RFC 3550 §A.1): each number is placed at the
/// extended value nearest the highest one seen, so a late packet from before a wrap stays before it.
/// </summary>
public sealed class SequenceUnwrapper
{
    // The first packet starts one cycle up, so a packet reordered from before it never goes negative.
    internal const long FirstCycle = 1 << 16;
    private long _highest = -1;

    /// <summary>The highest extended sequence number seen; -1 before the first packet.</summary>
    public long Highest => _highest;

    public long Unwrap(ushort sequence)
    {
        if (_highest < 0) return _highest = FirstCycle + sequence;
        var extended = _highest + (short)(ushort)(sequence - (ushort)_highest);
        if (extended > _highest) _highest = extended;
        return extended;
    }
}
