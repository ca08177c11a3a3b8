using System.Buffers.Binary;

namespace Voki.Media.Rtp;

/// <summary>
/// A reception report block (RFC 3550 §6.4.1, §6.4.2): what a receiver says about one source, in its sender or
/// receiver report. LSR and DLSR give the sender of that source its round-trip time.
/// </summary>
public readonly record struct ReportBlock(uint Ssrc, byte FractionLost, int CumulativeLost, uint ExtendedHighestSequence,
    uint Jitter, uint LastSenderReport, uint DelaySinceLastSenderReport)
{
    public const int Length = 24;

    /// <summary>The report blocks of one SR or RR packet, as many as are present whole; none for other packets.</summary>
    public static List<ReportBlock> Parse(ReadOnlySpan<byte> report)
    {
        var blocks = new List<ReportBlock>();
        if (report.Length < 8) return blocks;
        var first = report[1] switch { RtcpType.SenderReport => 28, RtcpType.ReceiverReport => 8, _ => -1 };
        if (first < 0) return blocks;
        var count = report[0] & 0x1F;
        for (var i = 0; i < count; i++)
        {
            var at = first + i * Length;
            if (at + Length > report.Length) break;
            var block = report.Slice(at, Length);
            var lost = (int)(BinaryPrimitives.ReadUInt32BigEndian(block[4..]) & 0xFFFFFF);
            if ((lost & 0x800000) != 0) lost -= 0x1000000;
            blocks.Add(new ReportBlock(BinaryPrimitives.ReadUInt32BigEndian(block), block[4], lost,
                BinaryPrimitives.ReadUInt32BigEndian(block[8..]), BinaryPrimitives.ReadUInt32BigEndian(block[12..]),
                BinaryPrimitives.ReadUInt32BigEndian(block[16..]), BinaryPrimitives.ReadUInt32BigEndian(block[20..])));
        }
        return blocks;
    }
}
