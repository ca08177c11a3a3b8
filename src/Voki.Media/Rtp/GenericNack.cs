using System.Buffers.Binary;

namespace Voki.Media.Rtp;

/// <summary>
/// The generic NACK (RFC 4585 §6.2.1): transport-layer feedback whose FCI entries each name one lost packet (PID)
/// and a bitmask of lost packets among the 16 that follow it (BLP). <see cref="Read"/> takes what one asks for.
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

    /// <summary>
    /// The sequence numbers a NACK asks for, each once, in the order asked, as many as <paramref name="destination"/>
    /// holds: one datagram's FCIs and full bitmasks name thousands, duplicates and beyond the cap are counted as refused.
    /// </summary>
    public static NackRequest Read(ReadOnlySpan<byte> nack, Span<ushort> destination)
    {
        Span<ulong> seen = stackalloc ulong[65536 / 64];
        seen.Clear();
        int count = 0, refused = 0;
        for (var offset = HeaderLength; offset + FciLength <= nack.Length; offset += FciLength)
        {
            var pid = BinaryPrimitives.ReadUInt16BigEndian(nack[offset..]);
            var mask = BinaryPrimitives.ReadUInt16BigEndian(nack[(offset + 2)..]);
            for (var bit = -1; bit < 16; bit++)
            {
                if (bit >= 0 && (mask & (1 << bit)) == 0) continue;
                var sequence = (ushort)(pid + bit + 1);
                ref var word = ref seen[sequence >> 6];
                var flag = 1UL << (sequence & 63);
                if ((word & flag) != 0 || count == destination.Length) { refused++; continue; }
                word |= flag;
                destination[count++] = sequence;
            }
        }
        return new NackRequest(count, refused);
    }
}

/// <summary>What <see cref="GenericNack.Read"/> took from one NACK, and how many of the entries it named it refused (repeats, beyond the cap).</summary>
public readonly record struct NackRequest(int Count, int Refused);
