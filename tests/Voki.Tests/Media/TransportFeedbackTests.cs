using System.Buffers.Binary;
using CsCheck;
using Voki.Media.Rtp;
using Voki.Media.Sfu;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Media;

/// <summary>
/// Our transport-wide feedback as a sender reads it (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): every
/// sequence number between the base and the status count received or not, and each arrival time from the reference
/// time plus the sum of the deltas, within half a 250 µs tick.
/// </summary>
public sealed class TransportFeedbackTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(TimeSpan.TicksPerMillisecond / 4);

    [Fact]
    public void Losses_reordering_and_late_packets_are_told_as_a_sender_reads_them()
    {
        var generator = new TransportFeedbackGenerator();
        var start = TimeSpan.FromSeconds(1000.0123);
        // 65534, 65535, 0 cross the wrap; 1 is lost; 3 arrives before 2 (a negative delta); 5 comes 300 ms later (a large one).
        (ushort Sequence, double Ms)[] arrivals = [(65534, 0), (65535, 1.1), (0, 2.3), (3, 4.0), (2, 3.9), (4, 5.2), (5, 305.2)];
        foreach (var (sequence, ms) in arrivals) generator.OnPacket(sequence, start + TimeSpan.FromMilliseconds(ms));
        var buffer = new byte[1200];
        var length = generator.Next(buffer, buffer.Length, 1, 0xABCD);
        var feedback = Decode(buffer.AsSpan(0, length));

        Assert.Equal((ushort)65534, feedback.BaseSequence);
        Assert.Equal(8, feedback.Packets.Count);
        Assert.Null(feedback.Packets[3].Arrival); // sequence 1
        foreach (var (sequence, ms) in arrivals)
        {
            var told = feedback.Packets[(ushort)(sequence - 65534)].Arrival ?? throw new Xunit.Sdk.XunitException($"{sequence} told as lost");
            AssertNear(start + TimeSpan.FromMilliseconds(ms), told);
        }
        Assert.Equal(0, generator.Next(buffer, buffer.Length, 1, 0xABCD)); // nothing new

        // 1 arriving now is late: it was told lost. The next feedback starts after 5 and counts up.
        generator.OnPacket(1, start + TimeSpan.FromMilliseconds(320));
        generator.OnPacket(6, start + TimeSpan.FromMilliseconds(321));
        var next = Decode(buffer.AsSpan(0, generator.Next(buffer, buffer.Length, 1, 0xABCD)));
        Assert.Equal((ushort)6, next.BaseSequence);
        Assert.Single(next.Packets);
        Assert.Equal(feedback.Count + 1, next.Count);
    }

    [Fact]
    public void A_trailing_loss_waits_for_the_next_arrival_and_a_long_report_is_split_to_fit()
    {
        var generator = new TransportFeedbackGenerator();
        var at = TimeSpan.FromSeconds(5);
        for (var i = 0; i < 3000; i++)
            if (i % 10 != 9) generator.OnPacket((ushort)i, at + TimeSpan.FromMilliseconds(i * 0.4));
        var buffer = new byte[200];
        var reported = new List<(ushort Sequence, TimeSpan? Arrival)>();
        for (var length = generator.Next(buffer, 200, 1, 0); length > 0; length = generator.Next(buffer, 200, 1, 0))
        {
            Assert.True(length <= 200);
            var feedback = Decode(buffer.AsSpan(0, length));
            Assert.NotNull(feedback.Packets[^1].Arrival);
            reported.AddRange(feedback.Packets.Select((p, i) => ((ushort)(feedback.BaseSequence + i), p.Arrival)));
        }
        Assert.Equal(2999, reported.Count); // 2999 itself is lost and not yet followed by anything
        Assert.Equal(Enumerable.Range(0, 2999).Select(i => (ushort)i), reported.Select(r => r.Sequence));
        Assert.All(reported, r => Assert.Equal(r.Sequence % 10 == 9, r.Arrival is null));
    }

    [Fact]
    public void Any_arrivals_decode_to_what_arrived()
    {
        var arrivals = Gen.Select(Gen.Bool, Gen.Int[-40_000, 400_000]).Array[1, 300];
        arrivals.Check(packets =>
        {
            var times = new TimeSpan?[packets.Length];
            var clock = TimeSpan.FromSeconds(77);
            for (var i = 0; i < packets.Length; i++)
            {
                clock += TimeSpan.FromTicks(packets[i].Item2 * 10L); // −4 ms … +40 ms, in µs
                times[i] = packets[i].Item1 || i == 0 ? clock : null;
            }
            var buffer = new byte[1500];
            var length = TransportFeedback.Write(buffer, buffer.Length, 1, 2, 100, times, 7, out var reported);
            var feedback = Decode(buffer.AsSpan(0, length));
            Assert.Equal(reported, feedback.Packets.Count);
            Assert.True(reported >= 1);
            for (var i = 0; i < reported; i++)
            {
                Assert.Equal(times[i] is null, feedback.Packets[i].Arrival is null);
                if (times[i] is { } sent) AssertNear(sent, feedback.Packets[i].Arrival!.Value);
            }
        }, 300);
    }

    private static void AssertNear(TimeSpan expected, TimeSpan told) =>
        Assert.True((expected - told).Duration() <= Tick / 2 + TimeSpan.FromTicks(1), $"told {told.TotalMilliseconds:F3} ms for {expected.TotalMilliseconds:F3} ms");

    private sealed record Decoded(ushort BaseSequence, int Count, List<(int Symbol, TimeSpan? Arrival)> Packets);

    /// <summary>A sender's reading, written from the draft: run-length and both status-vector chunks, both delta sizes.</summary>
    private static Decoded Decode(ReadOnlySpan<byte> packet)
    {
        Assert.Equal(0x80, packet[0] & 0xC0);
        Assert.Equal(15, packet[0] & 0x1F);
        Assert.Equal(205, packet[1]);
        Assert.Equal(packet.Length, 4 * (BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) + 1));
        var end = packet.Length - ((packet[0] & 0x20) != 0 ? packet[^1] : 0);
        var baseSequence = BinaryPrimitives.ReadUInt16BigEndian(packet[12..]);
        var statusCount = BinaryPrimitives.ReadUInt16BigEndian(packet[14..]);
        var reference = (int)(BinaryPrimitives.ReadUInt32BigEndian(packet[16..]) >> 8);
        var count = packet[19];
        var symbols = new List<int>();
        var offset = 20;
        while (symbols.Count < statusCount)
        {
            var chunk = BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]);
            offset += 2;
            if ((chunk & 0x8000) == 0) symbols.AddRange(Enumerable.Repeat((chunk >> 13) & 3, chunk & 0x1FFF));
            else if ((chunk & 0x4000) == 0) for (var i = 13; i >= 0; i--) symbols.Add((chunk >> i) & 1);
            else for (var i = 6; i >= 0; i--) symbols.Add((chunk >> (2 * i)) & 3);
        }
        var time = TimeSpan.FromMilliseconds(64.0 * reference);
        var packets = new List<(int, TimeSpan?)>();
        foreach (var symbol in symbols.Take(statusCount))
        {
            if (symbol == 0) { packets.Add((0, null)); continue; }
            int delta = symbol == 1 ? packet[offset++] : BinaryPrimitives.ReadInt16BigEndian(packet[offset..]);
            if (symbol == 2) offset += 2;
            time += Tick * delta;
            packets.Add((symbol, time));
        }
        Assert.True(offset <= end, "deltas run into the padding");
        return new Decoded(baseSequence, count, packets);
    }
}
