using System.Buffers.Binary;

namespace Voki.Media.Rtp;

/// <summary>
/// The generic NACK (RFC 4585 §6.2.1): transport-layer feedback whose FCI entries each name one lost packet (PID)
/// and a bitmask of lost packets among the 16 that follow it (BLP). Read with <see cref="RtcpPacket.NackedSequences"/>.
/// </summary>
public static class GenericNack
{
    public const int HeaderLength = 12, FciLength = 4;

    /// <summary>
    /// Writes one NACK about <paramref name="mediaSsrc"/> asking for <paramref name="lost"/> (in sending order,
    /// across wrap-around), as many FCIs as <paramref name="buffer"/> holds; returns the length, 0 when nothing fits.
    /// </summary>
    public static int Write(Span<byte> buffer, uint senderSsrc, uint mediaSsrc, ReadOnlySpan<ushort> lost)
    {
        if (lost.IsEmpty || buffer.Length < HeaderLength + FciLength) return 0;
        var maxFcis = (buffer.Length - HeaderLength) / FciLength;
        var fcis = 0;
        var offset = HeaderLength;
        var i = 0;
        while (i < lost.Length && fcis < maxFcis)
        {
            var pid = lost[i++];
            ushort mask = 0;
            while (i < lost.Length)
            {
                var distance = (ushort)(lost[i] - pid);
                if (distance == 0) { i++; continue; }
                if (distance > 16) break;
                mask |= (ushort)(1 << (distance - 1));
                i++;
            }
            BinaryPrimitives.WriteUInt16BigEndian(buffer[offset..], pid);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(offset + 2)..], mask);
            offset += FciLength;
            fcis++;
        }
        buffer[0] = 0x80 | RtcpType.NackFormat;
        buffer[1] = RtcpType.TransportFeedback;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)(offset / 4 - 1));
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], senderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], mediaSsrc);
        return offset;
    }
}
