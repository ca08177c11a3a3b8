using System.Buffers.Binary;

namespace Voki.Media.Rtp;

/// <summary>
/// The RTX payload format (RFC 4588 §4): a retransmission travels on its own SSRC, sequence space and payload
/// type, and its payload starts with the original sequence number (OSN) followed by the original payload.
/// </summary>
public static class RtxPacket
{
    public const int OsnLength = 2;

    /// <summary>
    /// Writes the original packet an RTX packet carries into <paramref name="destination"/>: the same header
    /// (marker, timestamp, CSRCs, extensions) with the primary payload type and SSRC and the OSN as its sequence
    /// number, padding removed. Returns its length, or -1 when the packet is malformed or carries no OSN (an RTX
    /// packet of padding only, which senders use to probe bandwidth).
    /// </summary>
    public static int Unwrap(ReadOnlySpan<byte> rtx, Span<byte> destination, byte primaryPayloadType, uint primarySsrc)
    {
        var headerLength = RtpHeader.Length(rtx);
        if (headerLength < 0) return -1;
        var end = rtx.Length;
        if ((rtx[0] & 0x20) != 0)
        {
            var padding = rtx[end - 1];
            if (padding == 0 || padding > end - headerLength) return -1;
            end -= padding;
        }
        if (end - headerLength < OsnLength) return -1;
        var length = end - OsnLength;
        if (destination.Length < length) return -1;
        var osn = BinaryPrimitives.ReadUInt16BigEndian(rtx[headerLength..]);
        rtx[..headerLength].CopyTo(destination);
        destination[0] &= 0xDF;
        destination[1] = (byte)((rtx[1] & 0x80) | (primaryPayloadType & 0x7F));
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], osn);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], primarySsrc);
        rtx[(headerLength + OsnLength)..end].CopyTo(destination[headerLength..]);
        return length;
    }

    /// <summary>
    /// Writes <paramref name="original"/> as an RTX packet into <paramref name="destination"/>: its header with the
    /// RTX payload type, sequence number and SSRC, then the OSN and the original payload. Returns the length.
    /// </summary>
    public static int Wrap(ReadOnlySpan<byte> original, int headerLength, Span<byte> destination, byte rtxPayloadType, ushort rtxSequence, uint rtxSsrc)
    {
        var payload = original[headerLength..];
        original[..headerLength].CopyTo(destination);
        destination[1] = (byte)((original[1] & 0x80) | (rtxPayloadType & 0x7F));
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], rtxSequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], rtxSsrc);
        BinaryPrimitives.WriteUInt16BigEndian(destination[headerLength..], RtpHeader.Sequence(original));
        payload.CopyTo(destination[(headerLength + OsnLength)..]);
        return headerLength + OsnLength + payload.Length;
    }
}
