namespace Voki.Media.Srtp;

/// <summary>
/// The SRTP packet index of one SSRC from its 16-bit sequence numbers (RFC 3711 §3.3.1, Appendix A):
/// the rollover counter is guessed as ROC-1, ROC or ROC+1, whichever puts the packet nearest the
/// highest index seen. The sender and the receiver run the same estimator, so a packet sent out of
/// order (a retransmission of 65535 after 0 went out) gets the index the receiver will guess for it.
/// </summary>
/// <remarks>
/// Indices are signed: a packet from just before the first one (65535 when the stream began at 2)
/// is index -1, whose rollover counter is 2^32-1 by the RFC's "mod 2^32"; it never moves the estimate.
/// </remarks>
public struct PacketIndexEstimator
{
    private bool _started;
    private long _highest;

    /// <summary>The index a packet with this sequence number has.</summary>
    public readonly long Estimate(ushort sequence)
    {
        if (!_started) return sequence;
        var rollover = _highest >> 16;
        var highestSequence = (ushort)_highest;
        if (highestSequence < 0x8000)
        {
            if (sequence - highestSequence > 0x8000) rollover--;
        }
        else if (highestSequence - 0x8000 > sequence) rollover++;
        return (rollover << 16) | sequence;
    }

    /// <summary>Records a packet's index once it was sent, or once it authenticated on receipt.</summary>
    public void Advance(long index)
    {
        if (!_started || index > _highest) _highest = index;
        _started = true;
    }

    /// <summary>The rollover counter that goes into the cipher and the authentication tag.</summary>
    public static uint RolloverOf(long index) => unchecked((uint)(index >> 16));
}
