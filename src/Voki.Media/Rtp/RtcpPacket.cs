using System.Buffers.Binary;

namespace Voki.Media.Rtp;

/// <summary>RTCP packet types and feedback formats (RFC 3550 §12.1, RFC 4585 §6, RFC 5104 §4.3).</summary>
public static class RtcpType
{
    public const byte SenderReport = 200, ReceiverReport = 201, SourceDescription = 202, Goodbye = 203;
    public const byte TransportFeedback = 205, PayloadFeedback = 206;
    public const int NackFormat = 1, PliFormat = 1, FirFormat = 4, RembFormat = 15;
}

/// <summary>One packet of a compound RTCP datagram.</summary>
public readonly ref struct RtcpPacket(ReadOnlySpan<byte> bytes)
{
    public ReadOnlySpan<byte> Bytes { get; } = bytes;
    public byte Type => Bytes[1];
    public int Format => Bytes[0] & 0x1F;
    public uint SenderSsrc => BinaryPrimitives.ReadUInt32BigEndian(Bytes[4..]);
    /// <summary>The media SSRC of a feedback message (RFC 4585 §6.1).</summary>
    public uint MediaSsrc => Bytes.Length >= 12 ? BinaryPrimitives.ReadUInt32BigEndian(Bytes[8..]) : 0;

    /// <summary>
    /// Splits a compound packet; stops at the first malformed header. A packet shorter than 8 bytes (length 0: a bare
    /// header) is malformed here: every type we read carries its sender SSRC in bytes 4-8 (RFC 3550 §6.4, RFC 4585 §6.1).
    /// </summary>
    public static List<(int Offset, int Length)> Split(ReadOnlySpan<byte> compound)
    {
        var packets = new List<(int, int)>();
        var offset = 0;
        while (offset + 8 <= compound.Length)
        {
            if ((compound[offset] & 0xC0) != 0x80) break;
            var length = 4 * (BinaryPrimitives.ReadUInt16BigEndian(compound[(offset + 2)..]) + 1);
            if (length < 8 || offset + length > compound.Length) break;
            packets.Add((offset, length));
            offset += length;
        }
        return packets;
    }

    /// <summary>The NTP and RTP timestamps of a sender report (RFC 3550 §6.4.1).</summary>
    public static (ulong Ntp, uint RtpTimestamp) SenderReportTimes(ReadOnlySpan<byte> report) =>
        (BinaryPrimitives.ReadUInt64BigEndian(report[8..]), BinaryPrimitives.ReadUInt32BigEndian(report[16..]));
}

/// <summary>Writes the RTCP the SFU sends.</summary>
public static class RtcpWriter
{
    /// <summary>Picture Loss Indication (RFC 4585 §6.3.1): asks the publisher for a keyframe.</summary>
    public static int Pli(Span<byte> buffer, uint senderSsrc, uint mediaSsrc)
    {
        buffer[0] = 0x80 | RtcpType.PliFormat;
        buffer[1] = RtcpType.PayloadFeedback;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 2);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], senderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], mediaSsrc);
        return 12;
    }

    /// <summary>REMB (draft-alvestrand-rmcat-remb §2.2): the receiver's bitrate ceiling for the given SSRCs.</summary>
    public static int Remb(Span<byte> buffer, uint senderSsrc, ulong bitsPerSecond, ReadOnlySpan<uint> ssrcs)
    {
        var exponent = 0;
        var mantissa = bitsPerSecond;
        while (mantissa > 0x3FFFF) { mantissa >>= 1; exponent++; }
        var length = 20 + 4 * ssrcs.Length;
        buffer[0] = 0x80 | RtcpType.RembFormat;
        buffer[1] = RtcpType.PayloadFeedback;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)(length / 4 - 1));
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], senderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], 0);
        "REMB"u8.CopyTo(buffer[12..]);
        buffer[16] = (byte)ssrcs.Length;
        buffer[17] = (byte)((exponent << 2) | (int)(mantissa >> 16));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[18..], (ushort)mantissa);
        for (var i = 0; i < ssrcs.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(buffer[(20 + 4 * i)..], ssrcs[i]);
        return length;
    }

    /// <summary>A receiver report block about one source (RFC 3550 §6.4.2).</summary>
    public static int ReceiverReport(Span<byte> buffer, uint senderSsrc, uint sourceSsrc, byte fractionLost, int cumulativeLost,
        uint extendedHighestSequence, uint jitter, uint lastSenderReport, uint delaySinceLastSenderReport)
    {
        buffer[0] = 0x81;
        buffer[1] = RtcpType.ReceiverReport;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 7);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], senderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], sourceSsrc);
        var lost = Math.Clamp(cumulativeLost, -0x800000, 0x7FFFFF) & 0xFFFFFF;
        BinaryPrimitives.WriteUInt32BigEndian(buffer[12..], ((uint)fractionLost << 24) | (uint)lost);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[16..], extendedHighestSequence);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[20..], jitter);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[24..], lastSenderReport);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[28..], delaySinceLastSenderReport);
        return 32;
    }

    /// <summary>A sender report without report blocks (RFC 3550 §6.4.1).</summary>
    public static int SenderReport(Span<byte> buffer, uint ssrc, ulong ntp, uint rtpTimestamp, uint packets, uint octets)
    {
        buffer[0] = 0x80;
        buffer[1] = RtcpType.SenderReport;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 6);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], ssrc);
        BinaryPrimitives.WriteUInt64BigEndian(buffer[8..], ntp);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[16..], rtpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[20..], packets);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[24..], octets);
        return 28;
    }

    /// <summary>Wall-clock time as a 64-bit NTP timestamp (RFC 5905 §6).</summary>
    public static ulong NtpNow() => ToNtp(DateTime.UtcNow);

    public static ulong ToNtp(DateTime utc)
    {
        var since1900 = utc - new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var seconds = (ulong)since1900.TotalSeconds;
        var fraction = (ulong)((since1900.TotalSeconds - seconds) * 4294967296.0);
        return (seconds << 32) | fraction;
    }
}
