using System.Buffers.Binary;

namespace Voki.Media.Rtp;

/// <summary>
/// RTP header extensions in the one-byte form (RFC 8285 §4.2): profile 0xBEDE, then elements of a 4-bit id and a
/// 4-bit length−1, padded with zero bytes to a 32-bit boundary. Ids 1–14 are what the peer negotiated with a=extmap.
/// </summary>
public static class HeaderExtension
{
    public const ushort OneByteProfile = 0xBEDE;

    /// <summary>The data of element <paramref name="id"/> in the packet's one-byte extension block; empty when absent or malformed.</summary>
    public static Span<byte> Find(Span<byte> packet, int id)
    {
        if (id is < 1 or > 14 || packet.Length < RtpHeader.FixedLength || (packet[0] & 0x10) == 0) return default;
        var start = RtpHeader.FixedLength + 4 * (packet[0] & 0x0F);
        if (start + 4 > packet.Length || BinaryPrimitives.ReadUInt16BigEndian(packet[start..]) != OneByteProfile) return default;
        var end = start + 4 + 4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(start + 2)..]);
        if (end > packet.Length) return default;
        for (var offset = start + 4; offset < end;)
        {
            var header = packet[offset];
            if (header == 0) { offset++; continue; } // padding
            var elementId = header >> 4;
            if (elementId == 15) break; // reserved: stop reading (§4.2)
            var length = (header & 0x0F) + 1;
            if (offset + 1 + length > end) break;
            if (elementId == id) return packet.Slice(offset + 1, length);
            offset += 1 + length;
        }
        return default;
    }

    /// <summary>Writes a one-byte extension block holding one element; returns its length (a multiple of 4).</summary>
    public static int WriteBlock(Span<byte> destination, int id, ReadOnlySpan<byte> data)
    {
        var words = (1 + data.Length + 3) / 4;
        BinaryPrimitives.WriteUInt16BigEndian(destination, OneByteProfile);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)words);
        destination[4] = (byte)((id << 4) | (data.Length - 1));
        data.CopyTo(destination[5..]);
        destination[(5 + data.Length)..(4 + 4 * words)].Clear();
        return 4 + 4 * words;
    }
}
