using System.Buffers.Binary;

namespace Voki.Media.Rtp;

/// <summary>
/// Reads a Receiver Estimated Maximum Bitrate message (draft-alvestrand-rmcat-remb §2.2): payload-specific feedback
/// with FMT 15, the "REMB" identifier, a count of SSRCs, and the bitrate as a 6-bit exponent and 18-bit mantissa.
/// The writer is <see cref="RtcpWriter.Remb"/>.
/// </summary>
public static class RembPacket
{
    public static bool TryRead(ReadOnlySpan<byte> packet, out ulong bitsPerSecond)
    {
        bitsPerSecond = 0;
        if (packet.Length < 20 || packet[1] != RtcpType.PayloadFeedback || (packet[0] & 0x1F) != RtcpType.RembFormat) return false;
        if (!packet.Slice(12, 4).SequenceEqual("REMB"u8)) return false;
        if (packet.Length < 20 + 4 * packet[16]) return false;
        var exponent = packet[17] >> 2;
        var mantissa = (ulong)(packet[17] & 0x03) << 16 | BinaryPrimitives.ReadUInt16BigEndian(packet[18..]);
        if (exponent > 40) return false; // beyond any link: 2^58 bit/s
        bitsPerSecond = mantissa << exponent;
        return true;
    }
}
