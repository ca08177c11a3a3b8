using Voki.Media.Sfu;

namespace Voki.Tests.Media;

/// <summary>
/// The receiver-side estimators behind our receiver reports and the call's quality: loss (RFC 3550 §A.3) over extended
/// sequence numbers (§A.1), interarrival jitter (§6.4.1, §A.8), camera freezes, and the per-second summaries.
/// </summary>
public sealed class ReceptionStatisticsTests
{
    private static (ReceptionLoss Loss, Func<ushort, bool> Receive) Stream()
    {
        var unwrapper = new SequenceUnwrapper();
        var loss = new ReceptionLoss();
        return (loss, s => loss.OnPacket(unwrapper.Unwrap(s)));
    }

    [Fact]
    public void Loss_per_interval_and_in_all_counts_what_never_came()
    {
        var (loss, receive) = Stream();
        for (ushort s = 100; s < 200; s++) if (s % 10 != 3) receive(s); // every tenth lost
        var first = loss.TakeInterval();
        Assert.Equal((100L, 10L), (first.Expected, first.Lost));
        Assert.Equal(25, first.FractionLost); // 10 × 256 / 100, as §6.4.1's 8-bit fixed point
        Assert.Equal(0.10, first.Fraction, 3);

        for (ushort s = 200; s < 300; s++) receive(s);
        var second = loss.TakeInterval();
        Assert.Equal((100L, 0L, (byte)0), (second.Expected, second.Lost, second.FractionLost));
        Assert.Equal((200L, 190L, 10L), (loss.Expected, loss.Received, loss.Lost));
    }

    [Fact]
    public void A_reordered_packet_is_not_lost_and_one_late_by_an_interval_makes_that_interval_negative_not_the_fraction()
    {
        var (loss, receive) = Stream();
        foreach (ushort s in new ushort[] { 1, 2, 4, 3, 5, 7, 8 }) receive(s);
        var first = loss.TakeInterval();
        Assert.Equal((8L, 1L), (first.Expected, first.Lost)); // 6 is missing; 3 came late but came
        receive(6); // 6 after all, in the next interval
        receive(9);
        var second = loss.TakeInterval();
        Assert.Equal((1L, -1L, (byte)0), (second.Expected, second.Lost, second.FractionLost));
        Assert.Equal(0, loss.Lost);
    }

    [Fact]
    public void Duplicates_count_once_even_late_ones_within_the_window()
    {
        var (loss, receive) = Stream();
        Assert.True(receive(10));
        Assert.False(receive(10));
        for (ushort s = 11; s < 600; s++) receive(s);
        Assert.False(receive(20)); // 580 behind, still inside the 1024 window
        Assert.False(receive(599));
        Assert.Equal((590L, 590L, 0L), (loss.Expected, loss.Received, loss.Lost));
        // A number skipped over and then given is new, not a duplicate, although its bit was used before.
        for (ushort s = 600; s < 2000; s++) if (s != 1500) receive(s);
        Assert.Equal(1L, loss.Lost);
        Assert.True(receive(1500));
        Assert.Equal(0L, loss.Lost);
    }

    [Fact]
    public void Loss_runs_across_the_sequence_wrap_and_the_report_carries_the_cycle()
    {
        var (loss, receive) = Stream();
        for (var i = 0; i < 40; i++) if (i != 25) receive((ushort)(65520 + i)); // 65520 … 65535, 0 … 23, one lost after the wrap
        receive(65530); // a duplicate from before the wrap, after it
        Assert.Equal((40L, 39L, 1L), (loss.Expected, loss.Received, loss.Lost));
        Assert.Equal((1u << 16) | 23u, loss.ExtendedHighest); // one cycle, highest 23 (RFC 3550 §6.4.1)
        var interval = loss.TakeInterval();
        Assert.Equal((40L, 1L), (interval.Expected, interval.Lost));
    }

    [Fact]
    public void A_packet_from_before_the_first_widens_what_was_expected()
    {
        var (loss, receive) = Stream();
        receive(500);
        receive(502);
        receive(499); // reordered ahead of the first packet seen
        Assert.Equal((4L, 3L, 1L), (loss.Expected, loss.Received, loss.Lost));
    }

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void Jitter_is_zero_for_a_steady_path_and_follows_transit_variation_by_a_sixteenth()
    {
        var jitter = new InterarrivalJitter(48000);
        for (var i = 0; i < 100; i++) jitter.OnPacket((uint)(i * 960), Ms(1000 + i * 20)); // 20 ms audio, constant transit
        Assert.Equal(0u, jitter.Units);

        // Every other packet 10 ms late: |D| is 480 units (10 ms at 48 kHz) each time; J converges on it.
        var alternating = new InterarrivalJitter(48000);
        for (var i = 0; i < 400; i++) alternating.OnPacket((uint)(i * 960), Ms(1000 + i * 20 + (i % 2) * 10));
        Assert.InRange(alternating.Units, 475u, 480u);
        Assert.InRange(alternating.Current.TotalMilliseconds, 9.9, 10.01);

        // One step of §A.8 from 0: J = |D| / 16.
        var one = new InterarrivalJitter(90000);
        one.OnPacket(0, Ms(0));
        one.OnPacket(3000, Ms(33.333 + 16)); // 16 ms later than the timestamps say: D = 1440 units
        Assert.Equal(90u, one.Units);
    }

    [Fact]
    public void Jitter_ignores_a_frames_later_packets_reordered_older_frames_and_survives_the_timestamp_wrap()
    {
        var jitter = new InterarrivalJitter(90000);
        var start = uint.MaxValue - 3000 * 5; // wraps after five frames
        for (var frame = 0; frame < 20; frame++)
        {
            var timestamp = unchecked(start + (uint)(frame * 3000));
            // A paced burst: the frame's packets share its timestamp and arrive 2 ms apart.
            for (var packet = 0; packet < 5; packet++) jitter.OnPacket(timestamp, Ms(frame * 33.333 + packet * 2));
            if (frame > 2) jitter.OnPacket(unchecked(timestamp - 6000), Ms(frame * 33.333 + 11)); // an old frame's packet, late
        }
        Assert.InRange(jitter.Units, 0u, 1u);
    }

    [Fact]
    public void A_sender_restarting_its_clock_is_not_jitter()
    {
        var jitter = new InterarrivalJitter(48000);
        for (var i = 0; i < 10; i++) jitter.OnPacket((uint)(i * 960), Ms(i * 20));
        for (var i = 0; i < 10; i++) jitter.OnPacket((uint)(1_000_000_000 + i * 960), Ms(200 + i * 20));
        Assert.Equal(0u, jitter.Units);
    }

    [Fact]
    public void A_freeze_is_over_half_a_second_without_a_complete_frame_while_packets_keep_coming()
    {
        var freezes = new VideoFreezes();
        var t = 0.0;
        for (; t < 1000; t += 33) freezes.OnPacket(Ms(t), completesFrame: true);
        // 800 ms of packets that complete nothing (a frame waits for a lost packet, or frames cannot decode)...
        for (var stall = t; t < stall + 800; t += 33) freezes.OnPacket(Ms(t), completesFrame: false);
        var during = freezes.Totals(Ms(t));
        Assert.True(during.FrozenNow);
        Assert.Equal(1, during.Count);
        // ... then frames again.
        freezes.OnPacket(Ms(t), completesFrame: true);
        var after = freezes.Totals(Ms(t));
        Assert.False(after.FrozenNow);
        Assert.Equal(1, after.Count);
        Assert.InRange(after.Frozen.TotalMilliseconds, 800, 900);

        // 400 ms without a frame is no freeze.
        for (var stall = t; t < stall + 400; t += 33) freezes.OnPacket(Ms(t), completesFrame: false);
        freezes.OnPacket(Ms(t), completesFrame: true);
        Assert.Equal(1, freezes.Totals(Ms(t)).Count);
    }

    [Fact]
    public void A_sender_that_stops_sending_is_off_not_frozen()
    {
        var freezes = new VideoFreezes();
        freezes.OnPacket(Ms(0), true);
        freezes.OnPacket(Ms(33), true);
        Assert.False(freezes.Totals(Ms(3000)).FrozenNow); // nothing came for 3 s: a muted camera or a paused layer
        freezes.OnPacket(Ms(3000), true); // it resumes with a frame
        Assert.Equal(new FreezeTotals(0, TimeSpan.Zero, false), freezes.Totals(Ms(3001)));
    }

    [Fact]
    public void The_reservoir_keeps_the_exact_mean_and_a_fair_sample_for_percentiles_beyond_its_capacity()
    {
        var reservoir = new SampleReservoir(capacity: 500);
        Assert.Null(reservoir.Mean);
        Assert.Null(reservoir.Percentile(95));
        for (var i = 1; i <= 10_000; i++) reservoir.Add(i % 100); // 0 … 99, uniform
        Assert.Equal(49.5, reservoir.Mean!.Value, 6);
        Assert.InRange(reservoir.Percentile(95)!.Value, 88, 99);
        Assert.InRange(reservoir.Percentile(50)!.Value, 40, 60);

        var few = new SampleReservoir();
        foreach (var v in new[] { 3.0, 1, 2, 10 }) few.Add(v);
        Assert.Equal(10, few.Percentile(95));
        Assert.Equal(2, few.Percentile(50));
    }
}
