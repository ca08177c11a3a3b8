using Voki.Media.Sfu;

namespace Voki.Tests.Media;

/// <summary>
/// The probe that finds out whether a subscriber's downlink carries the next simulcast layer (issue 9: back to the full
/// layer within 10 s of a thin link widening), driven by the estimates a browser's REMB would give, 4 times a second.
/// </summary>
public sealed class DownlinkProbeTests
{
    private const long Half = 200_000, Full = 700_000;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    /// <summary>Runs the probe from <paramref name="from"/> until <paramref name="until"/>; the estimate at each moment comes from <paramref name="estimate"/>.</summary>
    private static (ProbeOutcome Last, TimeSpan At, List<(TimeSpan At, long Rate, bool Burst)> Padding) Drive(
        DownlinkProbe probe, TimeSpan from, TimeSpan until, Func<TimeSpan, long> estimate, Func<TimeSpan, long>? nacks = null)
    {
        var padding = new List<(TimeSpan, long, bool)>();
        var outcome = ProbeOutcome.Waiting;
        for (var now = from; now <= until; now += Tick)
        {
            outcome = probe.Run(estimate(now), Half, Full, nacks?.Invoke(now) ?? 0, now);
            padding.Add((now, probe.Rate, probe.Bursting));
            if (outcome == ProbeOutcome.Proven) return (outcome, now, padding);
        }
        return (outcome, until, padding);
    }

    [Fact]
    public void A_link_that_widened_is_proven_by_one_burst_long_before_the_estimate_reaches_the_layer()
    {
        var probe = new DownlinkProbe();
        // The estimate grows by 6 % a second from 450 kbit/s: it would need about 8 s to reach 700.
        var (outcome, at, padding) = Drive(probe, TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(110), now => (long)(450_000 * Math.Pow(1.06, (now - TimeSpan.FromSeconds(100)).TotalSeconds)));
        Assert.Equal(ProbeOutcome.Proven, outcome);
        Assert.InRange((at - TimeSpan.FromSeconds(100)).TotalSeconds, 2.9, 3.6);
        // Before the burst the padding only fills up to the estimate; the burst sends the next layer's whole rate.
        var gentle = padding.First();
        Assert.False(gentle.Burst);
        Assert.InRange(gentle.Rate, (long)(450_000 * 0.95) - Half - 1000, (long)(450_000 * 0.95) - Half + 1000);
        var burst = padding.First(p => p.Burst);
        Assert.Equal((long)(Full * DownlinkProbe.BurstMargin) - Half, burst.Rate);
    }

    [Fact]
    public void A_burst_the_estimate_does_not_rise_through_fails_and_the_next_waits_longer()
    {
        var probe = new DownlinkProbe();
        var start = TimeSpan.FromSeconds(50);
        var (outcome, _, padding) = Drive(probe, start, start + TimeSpan.FromSeconds(12), _ => 500_000);
        Assert.NotEqual(ProbeOutcome.Proven, outcome);
        var burstStarts = padding.Where((p, i) => p.Burst && (i == 0 || !padding[i - 1].Burst)).Select(p => (p.At - start).TotalSeconds).ToList();
        // First after 2 s; it fails after 1 s, the next waits 2 s, the one after 4 s (the longest back-off).
        Assert.Equal(new[] { 2.0, 5.0, 10.0 }, burstStarts);
        Assert.All(padding.Where(p => !p.Burst), p => Assert.Equal((long)(500_000 * 0.95) - Half, p.Rate));
    }

    [Fact]
    public void A_run_of_nacks_during_a_burst_fails_it_but_a_link_that_loses_at_random_is_still_proven()
    {
        var start = TimeSpan.FromSeconds(10);
        Func<TimeSpan, long> rising = now => (long)(450_000 * Math.Pow(1.08, (now - start).TotalSeconds));
        // 3 % random loss on the half layer: a NACK every half second before the burst and through it.
        Func<TimeSpan, long> random = now => (long)((now - start).TotalSeconds * 2);
        var (outcome, at, _) = Drive(new DownlinkProbe(), start, start + TimeSpan.FromSeconds(4.5), rising, random);
        Assert.Equal(ProbeOutcome.Proven, outcome);
        Assert.Equal(3.0, (at - start).TotalSeconds);

        // A link that fills: the same rate before, then a run of 8 NACKs within the burst's first half second.
        Func<TimeSpan, long> overflowing = now => random(now) + (now - start >= TimeSpan.FromSeconds(2.5) ? 8 : 0);
        var probe = new DownlinkProbe();
        var results = new List<ProbeOutcome>();
        for (var now = start; now <= start + TimeSpan.FromSeconds(4.25); now += Tick)
            results.Add(probe.Run(rising(now), Half, Full, overflowing(now), now));
        Assert.DoesNotContain(ProbeOutcome.Proven, results);
        Assert.False(probe.Bursting);
    }

    [Fact]
    public void No_burst_goes_beyond_two_and_a_half_times_the_subscribers_estimate_whatever_the_next_layer_sends()
    {
        var probe = new DownlinkProbe();
        var start = TimeSpan.FromSeconds(40);
        // A publisher whose "next layer" runs at 50 Mbit/s, for a subscriber whose link reports 600 kbit/s.
        for (var now = start; now <= start + TimeSpan.FromSeconds(12); now += Tick)
        {
            Assert.Equal(ProbeOutcome.Running, probe.Run(600_000, Half, 50_000_000, 0, now));
            Assert.False(probe.Bursting);
            Assert.Equal((long)(600_000 * 0.95) - Half, probe.Rate);
        }
        // Once the next layer is within reach, the burst comes.
        Assert.Equal(ProbeOutcome.Running, probe.Run(600_000, Half, Full, 0, start + TimeSpan.FromSeconds(12.25)));
        Assert.True(probe.Bursting);
    }

    [Fact]
    public void An_estimate_that_falls_from_its_peak_ends_the_probe_and_it_waits_before_the_next()
    {
        var probe = new DownlinkProbe();
        var start = TimeSpan.FromSeconds(30);
        Assert.Equal(ProbeOutcome.Running, probe.Run(600_000, Half, Full, 0, start));
        Assert.Equal(ProbeOutcome.Failed, probe.Run(500_000, Half, Full, 0, start + Tick));
        Assert.Equal(0, probe.Rate);
        Assert.Equal(ProbeOutcome.Waiting, probe.Run(600_000, Half, Full, 0, start + TimeSpan.FromSeconds(1.5)));
        Assert.Equal(ProbeOutcome.Running, probe.Run(600_000, Half, Full, 0, start + TimeSpan.FromSeconds(2.5)));
    }

    [Fact]
    public void A_proven_layer_is_held_while_the_estimate_climbs_and_let_go_when_it_stalls_falls_or_the_link_loses()
    {
        var since = TimeSpan.FromSeconds(200);
        ProvenLayer Proven(long share = 450_000, double baseline = 0) => new(1, share, since, nacksAtStart: 100, baseline);
        var climbing = Proven();
        for (var s = 0.5; s <= 5; s += 0.5)
            Assert.True(climbing.Holds((long)(450_000 * Math.Pow(1.06, s)), 100, since + TimeSpan.FromSeconds(s)));

        var stalled = Proven();
        Assert.True(stalled.Holds(470_000, 100, since + TimeSpan.FromSeconds(0.5)));
        Assert.True(stalled.Holds(470_000, 100, since + TimeSpan.FromSeconds(2.5)));
        Assert.False(stalled.Holds(470_000, 100, since + TimeSpan.FromSeconds(2.75)));

        var falling = Proven();
        Assert.True(falling.Holds(500_000, 100, since + TimeSpan.FromSeconds(1)));
        Assert.False(falling.Holds(420_000, 100, since + TimeSpan.FromSeconds(1.25)));

        // A clean link: two NACKs are let pass, a third within the first second is a link that fills.
        var clean = Proven();
        Assert.True(clean.Holds(480_000, 102, since + TimeSpan.FromSeconds(0.5)));
        Assert.False(clean.Holds(500_000, 103, since + TimeSpan.FromSeconds(0.75)));
        // A link that lost 3 a second before keeps its layer at that rate, not at twice it and more.
        var lossy = Proven(baseline: 3);
        Assert.True(lossy.Holds(480_000, 100 + 12, since + TimeSpan.FromSeconds(2)));
        Assert.False(lossy.Holds(500_000, 100 + 30, since + TimeSpan.FromSeconds(2.5)));

        Assert.False(Proven().Holds(null, 100, since + TimeSpan.FromSeconds(1)));
        var old = Proven(share: 100_000);
        for (var s = 0.5; s < ProvenLayer.Longest.TotalSeconds; s += 0.5) old.Holds(100_000 + (long)(s * 10_000), 100, since + TimeSpan.FromSeconds(s));
        Assert.False(old.Holds(400_000, 100, since + ProvenLayer.Longest + TimeSpan.FromSeconds(0.5)));
    }
}
