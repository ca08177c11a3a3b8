using System.Buffers.Binary;
using CsCheck;
using Voki.Media.Rtp;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Media;

/// <summary>
/// Property tests (fixed seeds) over the packets loss recovery reads and writes: RTX (RFC 4588 §4), generic NACK
/// (RFC 4585 §6.2.1) and report blocks (RFC 3550 §6.4.1).
/// </summary>
public sealed class RecoveryPacketPropertyTests
{
    /// <summary>An RTP packet with any header fields, 0-3 CSRCs, an optional one-byte-header extension and a payload.</summary>
    private static readonly Gen<byte[]> RtpPackets =
        Gen.Select(Gen.Bool, Gen.Byte[0, 127], Gen.UShort, Gen.UInt, Gen.UInt, Gen.Int[0, 3], Gen.Int[-1, 3], Gen.Byte.Array[0, 1200])
            .Select(t => Rtp(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6, t.Item7, t.Item8));

    private static byte[] Rtp(bool marker, byte pt, ushort sequence, uint timestamp, uint ssrc, int csrcs, int extensionWords, byte[] payload)
    {
        var header = 12 + 4 * csrcs + (extensionWords >= 0 ? 4 + 4 * extensionWords : 0);
        var packet = new byte[header + payload.Length];
        packet[0] = (byte)(0x80 | (extensionWords >= 0 ? 0x10 : 0) | csrcs);
        packet[1] = (byte)((marker ? 0x80 : 0) | pt);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), ssrc);
        for (var i = 0; i < csrcs; i++) BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(12 + 4 * i), 0x1000u + (uint)i);
        if (extensionWords >= 0)
        {
            var at = 12 + 4 * csrcs;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at), 0xBEDE);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at + 2), (ushort)extensionWords);
            for (var i = 0; i < 4 * extensionWords; i++) packet[at + 4 + i] = (byte)(0x10 + i);
        }
        payload.CopyTo(packet, header);
        return packet;
    }

    [Fact]
    public void Rtx_unwraps_to_exactly_the_packet_that_was_wrapped()
    {
        Gen.Select(RtpPackets, Gen.Byte[0, 127], Gen.UShort, Gen.UInt).Check(t =>
        {
            var (original, rtxPt, rtxSequence, rtxSsrc) = t;
            var headerLength = RtpHeader.Length(original);
            var rtx = new byte[original.Length + 2];
            var length = RtxPacket.Wrap(original, headerLength, rtx, rtxPt, rtxSequence, rtxSsrc);
            Assert.Equal(original.Length + 2, length);
            Assert.Equal(rtxPt, RtpHeader.PayloadType(rtx));
            Assert.Equal(rtxSequence, RtpHeader.Sequence(rtx));
            Assert.Equal(rtxSsrc, RtpHeader.Ssrc(rtx));
            Assert.Equal(RtpHeader.Timestamp(original), RtpHeader.Timestamp(rtx));
            Assert.Equal(RtpHeader.Marker(original), RtpHeader.Marker(rtx));

            var unwrapped = new byte[1500];
            var back = RtxPacket.Unwrap(rtx, unwrapped, RtpHeader.PayloadType(original), RtpHeader.Ssrc(original));
            Assert.Equal(original, unwrapped[..back]);
        }, iterations: 3_000);
    }

    [Fact]
    public void Rtx_padding_is_removed_and_padding_only_probes_carry_nothing()
    {
        Gen.Select(RtpPackets, Gen.Byte[1, 255]).Check((original, padding) =>
        {
            var headerLength = RtpHeader.Length(original);
            var rtx = new byte[original.Length + 2 + padding];
            RtxPacket.Wrap(original, headerLength, rtx, 97, 1, 2);
            rtx[0] |= 0x20;
            rtx[^1] = padding;
            var unwrapped = new byte[1500];
            var back = RtxPacket.Unwrap(rtx, unwrapped, RtpHeader.PayloadType(original), RtpHeader.Ssrc(original));
            Assert.Equal(original, unwrapped[..back]);

            // A bandwidth probe: padding right after the header, no OSN.
            var probe = new byte[headerLength + padding];
            original.AsSpan(0, headerLength).CopyTo(probe);
            probe[0] |= 0x20;
            probe[^1] = padding;
            Assert.Equal(-1, RtxPacket.Unwrap(probe, unwrapped, 96, 1));
        }, iterations: 2_000);
    }

    [Fact]
    public void Rtx_unwrap_of_arbitrary_bytes_refuses_or_stays_inside_both_buffers()
    {
        Gen.Select(Gen.Byte.Array[0, 1500], Gen.Int[0, 1600]).Check((bytes, room) =>
        {
            var destination = new byte[room];
            var length = RtxPacket.Unwrap(bytes, destination, 96, 1);
            Assert.True(length == -1 || (length >= 12 && length <= room && length <= bytes.Length - 2));
        }, iterations: 20_000);
    }

    [Fact]
    public void Generic_nack_names_exactly_the_sequences_it_was_given_across_the_wrap()
    {
        Gen.Select(Gen.UShort, Gen.Int[1, 40].Array[1, 60]).Check((first, steps) =>
        {
            var lost = new List<ushort>();
            var sequence = first;
            foreach (var step in steps) { lost.Add(sequence); sequence = (ushort)(sequence + step); }
            var buffer = new byte[GenericNack.HeaderLength + 4 * lost.Count];
            var length = GenericNack.Write(buffer, 1, 0xABCD, lost.ToArray());
            Assert.True(length <= buffer.Length);
            var packet = buffer.AsSpan(0, length);
            Assert.Single(RtcpPacket.Split(packet)); // a well-formed RTCP packet on its own
            Assert.Equal(0xABCDu, new RtcpPacket(packet).MediaSsrc);
            var read = new ushort[lost.Count + 1];
            var request = GenericNack.Read(packet, read);
            Assert.Equal(lost, read[..request.Count]);
            Assert.Equal(0, request.Refused);
        }, iterations: 3_000);
    }

    [Fact]
    public void A_nack_is_read_once_per_sequence_and_no_more_than_the_cap_whatever_its_fcis()
    {
        Gen.Select(Gen.Select(Gen.UShort, Gen.UShort).Array[0, 500], Gen.Int[1, 200]).Check((fcis, cap) =>
        {
            var nack = new byte[GenericNack.HeaderLength + 4 * fcis.Length];
            var named = new List<ushort>();
            for (var i = 0; i < fcis.Length; i++)
            {
                var (pid, mask) = fcis[i];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(nack.AsSpan(GenericNack.HeaderLength + 4 * i), pid);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(nack.AsSpan(GenericNack.HeaderLength + 4 * i + 2), mask);
                named.Add(pid);
                for (var bit = 0; bit < 16; bit++) if ((mask & (1 << bit)) != 0) named.Add((ushort)(pid + bit + 1));
            }
            var read = new ushort[cap];
            var request = GenericNack.Read(nack, read);
            var expected = named.Distinct().Take(cap).ToArray(); // the first of each, in the order named
            Assert.Equal(expected, read[..request.Count]);
            Assert.Equal(named.Count, request.Count + request.Refused);
        }, iterations: 2_000);
    }

    [Fact]
    public void Report_blocks_round_trip_and_arbitrary_reports_never_throw()
    {
        Gen.Select(Gen.UInt, Gen.Byte, Gen.Int[-0x800000, 0x7FFFFF], Gen.UInt, Gen.UInt, Gen.UInt, Gen.UInt).Check(t =>
        {
            var (ssrc, fraction, lost, highest, jitter, lsr, dlsr) = t;
            var report = new byte[32];
            RtcpWriter.ReceiverReport(report, 7, ssrc, fraction, lost, highest, jitter, lsr, dlsr);
            Assert.Equal(new ReportBlock(ssrc, fraction, lost, highest, jitter, lsr, dlsr), Assert.Single(ReportBlock.Parse(report)));
        }, iterations: 2_000);
        Gen.Byte.Array[0, 600].Check(bytes =>
        {
            foreach (var block in ReportBlock.Parse(bytes)) Assert.True(bytes.Length >= 8 + ReportBlock.Length);
        }, iterations: 20_000);
    }
}
