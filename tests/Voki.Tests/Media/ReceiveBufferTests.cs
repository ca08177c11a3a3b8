using Voki.Media.Sfu;

namespace Voki.Tests.Media;

/// <summary>The recorder's receive buffer: packets in sequence order, waiting for retransmissions, within bounds.</summary>
public sealed class ReceiveBufferTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);
    private readonly List<long> _released = [];
    private readonly List<byte> _firstBytes = [];

    private ReceiveBuffer Buffer(int capacity = 64, double maxWaitMs = 500) =>
        new(capacity, Ms(maxWaitMs), (packet, sequence) => { _released.Add(sequence); _firstBytes.Add(packet[0]); });

    private static byte[] Packet(long sequence) => [(byte)sequence, 1, 2, 3];

    [Fact]
    public void Packets_in_order_pass_straight_through()
    {
        using var buffer = Buffer();
        for (long s = 10; s < 20; s++) buffer.Push(s, Packet(s), Ms(0));
        Assert.Equal(Enumerable.Range(10, 10).Select(i => (long)i), _released);
        Assert.Equal(0, buffer.Held);
        Assert.Equal(_released.Select(s => (byte)s), _firstBytes); // each packet's own bytes
    }

    [Fact]
    public void Reordered_packets_come_out_in_order()
    {
        using var buffer = Buffer();
        foreach (var s in new long[] { 1, 3, 2, 6, 5, 4, 7 }) buffer.Push(s, Packet(s), Ms(0));
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7], _released);
    }

    [Fact]
    public void A_missing_packet_holds_the_rest_back_until_it_is_retransmitted()
    {
        using var buffer = Buffer();
        foreach (var s in new long[] { 1, 2, 4, 5, 6 }) buffer.Push(s, Packet(s), Ms(0));
        Assert.Equal([1L, 2], _released);
        Assert.Equal(3, buffer.Held);
        buffer.Expire(Ms(400)); // still within the wait
        Assert.Equal([1L, 2], _released);
        buffer.Push(3, Packet(3), Ms(450));
        Assert.Equal([1L, 2, 3, 4, 5, 6], _released);
        Assert.Equal(0, buffer.Skipped);
    }

    [Fact]
    public void A_packet_given_up_on_lets_the_rest_through_as_a_gap_and_a_late_copy_is_discarded()
    {
        using var buffer = Buffer();
        foreach (var s in new long[] { 1, 3, 4 }) buffer.Push(s, Packet(s), Ms(0));
        buffer.Lost(2, Ms(100));
        Assert.Equal([1L, 3, 4], _released);
        Assert.Equal(1, buffer.Skipped);
        buffer.Push(2, Packet(2), Ms(200));
        Assert.Equal([1L, 3, 4], _released);
        Assert.Equal(1, buffer.Discarded);
    }

    [Fact]
    public void A_packet_waited_for_too_long_is_passed_over()
    {
        using var buffer = Buffer(maxWaitMs: 100);
        foreach (var s in new long[] { 1, 3, 5 }) buffer.Push(s, Packet(s), Ms(0));
        buffer.Expire(Ms(99));
        Assert.Equal([1L], _released);
        buffer.Expire(Ms(100));
        Assert.Equal([1L, 3], _released); // 4 is now the head of the wait, and its clock starts now
        buffer.Expire(Ms(150));
        Assert.Equal([1L, 3], _released);
        buffer.Expire(Ms(200));
        Assert.Equal([1L, 3, 5], _released);
        Assert.Equal(2, buffer.Skipped);
    }

    [Fact]
    public void Duplicates_are_released_once()
    {
        using var buffer = Buffer();
        foreach (var s in new long[] { 1, 3, 3, 2, 2, 1 }) buffer.Push(s, Packet(s), Ms(0));
        Assert.Equal([1L, 2, 3], _released);
        Assert.Equal(3, buffer.Discarded);
    }

    [Fact]
    public void Extended_sequence_numbers_across_the_16_bit_wrap_stay_in_order()
    {
        using var buffer = Buffer();
        var unwrap = new SequenceUnwrapper();
        foreach (var s in new ushort[] { 65534, 0, 65535, 2, 1 }) buffer.Push(unwrap.Unwrap(s), Packet(s), Ms(0));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => unwrap.Unwrap(65534) + i), _released);
        Assert.Equal([254, 255, 0, 1, 2], _firstBytes.Select(b => (int)b));
    }

    [Fact]
    public void Memory_stays_bounded_by_the_window_when_a_packet_never_comes()
    {
        using var buffer = Buffer(capacity: 32, maxWaitMs: 60_000);
        buffer.Push(0, Packet(0), Ms(0));
        for (long s = 2; s < 33; s++) buffer.Push(s, Packet(s), Ms(0));
        Assert.Equal([0L], _released);
        Assert.Equal(31, buffer.Held); // everything behind the missing 1, as far as the window reaches
        for (long s = 33; s < 1000; s++)
        {
            buffer.Push(s, Packet(s), Ms(0));
            Assert.True(buffer.Held < 32);
        }
        // The window pushed the oldest out: 1 was passed over, everything else released in order.
        Assert.Equal(Enumerable.Range(0, 1000).Where(i => i != 1).Select(i => (long)i), _released);
        Assert.Equal(1, buffer.Skipped);
        Assert.Equal(0, buffer.Held);
    }

    [Fact]
    public void Flushing_at_the_end_releases_what_waits_behind_a_gap()
    {
        using var buffer = Buffer();
        foreach (var s in new long[] { 1, 2, 4, 6 }) buffer.Push(s, Packet(s), Ms(0));
        buffer.Flush();
        Assert.Equal([1L, 2, 4, 6], _released);
        Assert.Equal(0, buffer.Held);
    }
}
