using Voki.Media.Sfu;

namespace Voki.Tests.Media;

/// <summary>Which packets the SFU asks a publisher to resend, when, and when it stops asking.</summary>
public sealed class NackGeneratorTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);
    private static readonly TimeSpan Rtt = Ms(100);

    private static (List<long> Due, List<long> Abandoned) Tick(NackGenerator nacks, TimeSpan now, TimeSpan? rtt = null)
    {
        List<long> due = [], abandoned = [];
        nacks.Tick(now, rtt ?? Rtt, due, abandoned);
        return (due, abandoned);
    }

    [Fact]
    public void A_gap_is_requested_on_the_next_tick_and_a_packet_that_fills_it_counts_as_recovered()
    {
        var nacks = new NackGenerator();
        foreach (var s in new long[] { 100, 101, 104 }) Assert.Equal(PacketArrival.New, nacks.OnPacket(s, Ms(0)));
        Assert.Equal([102L, 103L], Tick(nacks, Ms(10)).Due);
        Assert.Equal(PacketArrival.Recovered, nacks.OnPacket(103, Ms(30)));
        Assert.Equal(PacketArrival.Duplicate, nacks.OnPacket(103, Ms(31))); // the publisher answered twice
        Assert.Equal(PacketArrival.Duplicate, nacks.OnPacket(101, Ms(32)));
        Assert.Equal(1, nacks.MissingCount);
    }

    [Fact]
    public void A_reordered_packet_that_arrives_before_the_tick_is_never_requested()
    {
        var nacks = new NackGenerator();
        nacks.OnPacket(1, Ms(0));
        nacks.OnPacket(3, Ms(1));
        Assert.Equal(PacketArrival.Reordered, nacks.OnPacket(2, Ms(2)));
        Assert.Empty(Tick(nacks, Ms(10)).Due);
    }

    [Fact]
    public void Requests_are_repeated_once_per_round_trip_not_every_tick()
    {
        var nacks = new NackGenerator(new NackOptions { RetryRoundTrips = 1.0 });
        nacks.OnPacket(1, Ms(0));
        nacks.OnPacket(3, Ms(0));
        var requests = new List<double>();
        for (var t = 10; t <= 450; t += 10)
            if (Tick(nacks, Ms(t), Ms(100)).Due.Count > 0) requests.Add(t);
        Assert.Equal([10, 110, 210, 310, 410], requests);

        // A short round trip retries sooner, never more often than the floor.
        var fast = new NackGenerator(new NackOptions { RetryRoundTrips = 1.0, MinRetryInterval = Ms(20) });
        fast.OnPacket(1, Ms(0));
        fast.OnPacket(3, Ms(0));
        var count = 0;
        for (var t = 10; t <= 100; t += 10) count += Tick(fast, Ms(t), Ms(1)).Due.Count;
        Assert.Equal(5, count); // 10, 30, 50, 70, 90
    }

    [Fact]
    public void A_packet_is_given_up_after_its_tries_or_when_it_is_too_old()
    {
        var tries = new NackGenerator(new NackOptions { MaxTries = 3, RetryRoundTrips = 1.0, MaxAge = TimeSpan.FromSeconds(10) });
        tries.OnPacket(1, Ms(0));
        tries.OnPacket(3, Ms(0));
        var requested = 0;
        var abandonedAt = -1;
        for (var t = 10; t <= 1000 && abandonedAt < 0; t += 10)
        {
            var (due, abandoned) = Tick(tries, Ms(t));
            requested += due.Count;
            if (abandoned.Count > 0) { Assert.Equal([2L], abandoned); abandonedAt = t; }
        }
        Assert.Equal(3, requested);
        Assert.Equal(310, abandonedAt); // the third request still had its round trip to be answered
        Assert.Equal(0, tries.MissingCount);
        Assert.Equal(PacketArrival.Duplicate, tries.OnPacket(2, Ms(320))); // too late: it is not forwarded twice

        var age = new NackGenerator(new NackOptions { MaxTries = 100, MaxAge = Ms(250) });
        age.OnPacket(1, Ms(0));
        age.OnPacket(3, Ms(0));
        Assert.Empty(Tick(age, Ms(240)).Abandoned);
        Assert.Equal([2L], Tick(age, Ms(250)).Abandoned);
    }

    [Fact]
    public void Without_rtx_a_packet_beyond_the_srtp_replay_window_is_given_up_rather_than_asked_for()
    {
        var nacks = new NackGenerator { MaxDistance = 64 };
        nacks.OnPacket(1, Ms(0));
        nacks.OnPacket(3, Ms(0));
        Assert.Equal([2L], Tick(nacks, Ms(10)).Due);
        for (long s = 4; s <= 65; s++) nacks.OnPacket(s, Ms(15));
        Assert.Empty(Tick(nacks, Ms(200)).Abandoned); // 63 behind: a resend would still be accepted
        nacks.OnPacket(66, Ms(205));
        Assert.Equal([2L], Tick(nacks, Ms(210)).Abandoned);
    }

    [Fact]
    public void Sequence_numbers_wrap_at_65535_without_a_false_gap()
    {
        var unwrap = new SequenceUnwrapper();
        var nacks = new NackGenerator();
        var lost = new List<long>();
        foreach (var s in new ushort[] { 65533, 65534, 65535, 1, 2, 0 })
            nacks.OnPacket(unwrap.Unwrap(s), Ms(0));
        // 0 arrived late, after 1 and 2: it was missing for a moment and filled, nothing else is.
        Assert.Equal(0, nacks.MissingCount);
        Assert.Equal(unwrap.Unwrap(65535) + 3, unwrap.Highest);

        nacks.OnPacket(unwrap.Unwrap(5), Ms(1));
        Assert.Equal([unwrap.Highest - 2, unwrap.Highest - 1], Tick(nacks, Ms(10)).Due);
    }

    [Fact]
    public void State_stays_bounded_whatever_the_gaps()
    {
        var nacks = new NackGenerator(new NackOptions { MaxTracked = 64 });
        nacks.OnPacket(0, Ms(0));
        // A jump larger than the window is a restart: nothing is requested for it.
        nacks.OnPacket(10_000, Ms(1));
        Assert.Equal(0, nacks.MissingCount);
        // Many small gaps: the oldest are given up on so that at most 64 are tracked.
        long s = 10_000;
        for (var i = 0; i < 100; i++) { s += 2; nacks.OnPacket(s, Ms(2)); }
        Assert.Equal(64, nacks.MissingCount);
        var (due, abandoned) = Tick(nacks, Ms(10));
        Assert.Equal(64, due.Count);
        Assert.Equal(36, abandoned.Count);
        Assert.True(abandoned.Max() < due.Min());
    }
}
