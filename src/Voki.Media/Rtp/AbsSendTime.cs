using System.Buffers.Binary;

namespace Voki.Media.Rtp;

/// <summary>
/// The abs-send-time header extension (http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time): when the packet
/// left the sender, 24 bits of 6.18 fixed-point seconds. A receiver's delay-based estimator reads it to compute
/// inter-arrival delay variation, and reports what it estimates with REMB.
/// </summary>
public static class AbsSendTime
{
    public const string Uri = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    public const int Length = 3;

    public static void Write(Span<byte> destination, TimeSpan sentAt)
    {
        var value = (uint)((ulong)(sentAt.Ticks * (1L << 18) / TimeSpan.TicksPerSecond) & 0xFFFFFF);
        destination[0] = (byte)(value >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)value);
    }

    public static uint Read(ReadOnlySpan<byte> data) => (uint)(data[0] << 16 | BinaryPrimitives.ReadUInt16BigEndian(data[1..]));

    /// <summary>Stamps a packet that already carries the element (a retransmission leaves now, not when first sent).</summary>
    public static void Restamp(Span<byte> packet, int id, TimeSpan sentAt)
    {
        var element = HeaderExtension.Find(packet, id);
        if (element.Length == Length) Write(element, sentAt);
    }
}
