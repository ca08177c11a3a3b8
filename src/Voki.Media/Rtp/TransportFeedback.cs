using System.Buffers.Binary;

namespace Voki.Media.Rtp;

/// <summary>
/// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): RTPFB with
/// FMT 15, telling the sender when each of its transport-wide sequence numbers arrived, so the sender's own estimator
/// sees the path's delay and loss. Packet status in two-bit status-vector chunks (§3.1.4, seven packets per chunk),
/// then the receive deltas in 250 µs units (rounded, each from the sum of those before): one byte when 0–63.75 ms, two signed bytes otherwise (§3.1.5).
/// </summary>
public static class TransportFeedback
{
    public const int Format = 15;
    public const string ExtensionUri = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    private const int HeaderLength = 20;
    private const long TicksPerDelta = TimeSpan.TicksPerMillisecond / 4; // 250 µs
    private const long TicksPerReference = 64 * TimeSpan.TicksPerMillisecond;
    private const byte NotReceived = 0, SmallDelta = 1, LargeDelta = 2;

    /// <summary>
    /// Writes feedback for <paramref name="arrivals"/>, consecutive sequence numbers from <paramref name="baseSequence"/>
    /// (an arrival of null: not received; 0 is written when none was). Stops early when the next packet would not fit
    /// in <paramref name="maxLength"/> or its delta in 16 bits; <paramref name="reported"/> says how many it covered.
    /// </summary>
    public static int Write(Span<byte> buffer, int maxLength, uint senderSsrc, uint mediaSsrc, ushort baseSequence,
        ReadOnlySpan<TimeSpan?> arrivals, byte feedbackCount, out int reported)
    {
        reported = 0;
        TimeSpan? firstArrival = null;
        foreach (var arrival in arrivals) if (arrival is not null) { firstArrival = arrival; break; }
        if (firstArrival is not { } first) return 0; // losses alone are told once a later packet arrives
        var referenceTicks = first.Ticks / TicksPerReference * TicksPerReference;
        Span<byte> symbols = stackalloc byte[Math.Min(arrivals.Length, 4096)];
        Span<short> deltas = stackalloc short[symbols.Length];
        var previous = referenceTicks;
        int count = 0, deltaBytes = 0;
        for (; count < symbols.Length; count++)
        {
            byte symbol = NotReceived;
            long delta = 0;
            if (arrivals[count] is { } arrival)
            {
                delta = (long)Math.Round((double)(arrival.Ticks - previous) / TicksPerDelta);
                if (delta is < short.MinValue or > short.MaxValue) break;
                symbol = delta is >= 0 and <= 255 ? SmallDelta : LargeDelta;
            }
            var chunks = (count + 1 + 6) / 7;
            var length = HeaderLength + 2 * chunks + deltaBytes + symbol;
            if ((length + 3) / 4 * 4 > maxLength) break;
            symbols[count] = symbol;
            if (symbol == NotReceived) continue;
            deltas[count] = (short)delta;
            deltaBytes += symbol;
            previous += delta * TicksPerDelta; // as the sender adds them up, so rounding never accumulates
        }
        // A report ends with a received packet: a trailing loss is told by the next one, when it is known.
        while (count > 0 && symbols[count - 1] == NotReceived) count--;
        reported = count;

        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], senderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], mediaSsrc);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[12..], baseSequence);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[14..], (ushort)count);
        var reference = (int)(referenceTicks / TicksPerReference) & 0xFFFFFF;
        BinaryPrimitives.WriteUInt32BigEndian(buffer[16..], (uint)(reference << 8) | feedbackCount);
        var offset = HeaderLength;
        for (var start = 0; start < count; start += 7)
        {
            var chunk = 0xC000; // status vector, two-bit symbols
            for (var i = 0; i < 7 && start + i < count; i++) chunk |= symbols[start + i] << (12 - 2 * i);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[offset..], (ushort)chunk);
            offset += 2;
        }
        for (var i = 0; i < count; i++)
        {
            if (symbols[i] == SmallDelta) buffer[offset++] = (byte)deltas[i];
            else if (symbols[i] == LargeDelta) { BinaryPrimitives.WriteInt16BigEndian(buffer[offset..], deltas[i]); offset += 2; }
        }
        // Padding as RFC 3550 §6.4.1 has it (P bit, its length in the last byte), which is how libwebrtc reads it.
        var padding = (4 - offset % 4) % 4;
        for (var i = 1; i < padding; i++) buffer[offset++] = 0;
        if (padding > 0) buffer[offset++] = (byte)padding;
        buffer[0] = (byte)(0x80 | (padding > 0 ? 0x20 : 0) | Format);
        buffer[1] = RtcpType.TransportFeedback;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)(offset / 4 - 1));
        return offset;
    }
}
