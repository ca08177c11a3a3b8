using System.Buffers.Binary;

namespace Voki.Media.Rtp;

/// <summary>Reads and rewrites the fixed RTP header (RFC 3550 §5.1) in place.</summary>
public static class RtpHeader
{
    public const int FixedLength = 12;

    /// <summary>RFC 5761 §4: with rtcp-mux, second bytes 192–223 (payload types 64–95) are RTCP.</summary>
    public static bool IsRtcp(ReadOnlySpan<byte> packet) => packet.Length >= 2 && packet[1] is >= 192 and <= 223;

    /// <summary>RFC 7983: first byte 128–191 is RTP or RTCP.</summary>
    public static bool IsRtpOrRtcp(ReadOnlySpan<byte> datagram) => datagram.Length >= FixedLength && datagram[0] is >= 128 and <= 191;

    public static byte PayloadType(ReadOnlySpan<byte> packet) => (byte)(packet[1] & 0x7F);
    public static bool Marker(ReadOnlySpan<byte> packet) => (packet[1] & 0x80) != 0;
    public static ushort Sequence(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
    public static uint Timestamp(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
    public static uint Ssrc(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);

    /// <summary>Header length with CSRCs and the extension block; -1 when the packet is malformed.</summary>
    public static int Length(ReadOnlySpan<byte> packet) => Srtp.SrtpContext.RtpHeaderLength(packet);

    /// <summary>
    /// Writes a forwarded copy of <paramref name="source"/> into <paramref name="destination"/>: the
    /// subscriber's payload type, sequence, timestamp and SSRC, without CSRCs or the publisher's header extensions
    /// (their ids were negotiated with the publisher, not the subscriber); with our abs-send-time when the subscriber
    /// negotiated it (<paramref name="absSendTimeId"/> not 0). Returns the new length.
    /// </summary>
    public static int WriteForwarded(ReadOnlySpan<byte> source, int headerLength, Span<byte> destination,
        byte payloadType, ushort sequence, uint timestamp, uint ssrc, int absSendTimeId = 0, TimeSpan sentAt = default)
    {
        var payload = source[headerLength..];
        var padding = (source[0] & 0x20) != 0;
        destination[0] = (byte)(0x80 | (padding ? 0x20 : 0) | (absSendTimeId != 0 ? 0x10 : 0));
        destination[1] = (byte)((source[1] & 0x80) | payloadType);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], ssrc);
        var length = FixedLength;
        if (absSendTimeId != 0)
        {
            Span<byte> sendTime = stackalloc byte[AbsSendTime.Length];
            AbsSendTime.Write(sendTime, sentAt);
            length += HeaderExtension.WriteBlock(destination[length..], absSendTimeId, sendTime);
        }
        payload.CopyTo(destination[length..]);
        return length + payload.Length;
    }
}
