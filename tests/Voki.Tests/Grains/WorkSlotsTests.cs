using Voki.Grains.Grains;

namespace Voki.Tests.Grains;

/// <summary>A node's slots for heavy work: a bounded number run, the rest wait in arrival order with their place known.</summary>
public sealed class WorkSlotsTests
{
    private sealed class Slots(int capacity) : WorkSlots(capacity);

    [Fact]
    public async Task Jobs_beyond_the_capacity_wait_in_arrival_order_with_their_place_and_a_freed_slot_goes_to_the_first()
    {
        var slots = new Slots(2);
        var a = await slots.EnterAsync("t/a", CancellationToken.None);
        var b = await slots.EnterAsync("t/b", CancellationToken.None);
        var c = slots.EnterAsync("t/c", CancellationToken.None);
        var d = slots.EnterAsync("t/d", CancellationToken.None);

        Assert.False(c.IsCompleted);
        Assert.Equal((2, 2), (slots.Running, slots.Waiting));
        Assert.Equal((0, 1, 2, (int?)null), (slots.PlaceOf("t/a"), slots.PlaceOf("t/c"), slots.PlaceOf("t/d"), slots.PlaceOf("t/x")));
        Assert.Equal(["t/c", "t/d"], slots.View().Waiting.Select(w => w.Job));

        b.Dispose();
        b.Dispose(); // a second release frees nothing more
        using var third = await c.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(d.IsCompleted);
        Assert.Equal((2, 1, 0, 1), (slots.Running, slots.Waiting, slots.PlaceOf("t/c"), slots.PlaceOf("t/d")));

        a.Dispose();
        using var fourth = await d.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal((2, 0), (slots.Running, slots.Waiting));
    }

    [Fact]
    public async Task A_job_that_stops_waiting_leaves_the_queue_and_the_ones_behind_move_up()
    {
        var slots = new Slots(1);
        var running = await slots.EnterAsync("t/a", CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var leaving = slots.EnterAsync("t/b", stop.Token);
        var staying = slots.EnterAsync("t/c", CancellationToken.None);
        Assert.Equal(2, slots.PlaceOf("t/c"));

        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        Assert.Equal((1, (int?)null), (slots.PlaceOf("t/c"), slots.PlaceOf("t/b")));

        running.Dispose();
        using var next = await staying.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal((1, 0, 0), (slots.Running, slots.Waiting, slots.PlaceOf("t/c")));
    }

    [Fact]
    public void A_capacity_below_one_is_one()
    {
        Assert.Equal(1, new Slots(0).Capacity);
        Assert.Equal(1, new CompositionSlots(new RecordingOptions { CompositionSlots = 1 }).Capacity);
        Assert.Equal(Environment.ProcessorCount, new CompositionSlots(new RecordingOptions()).Capacity);
        Assert.Equal(1, new CompositionSlots(new RecordingOptions(), cores: 1).Capacity);
    }

    [Fact]
    public async Task Compositions_get_half_the_cores_while_live_calls_run_and_every_core_once_none_do_without_stopping_one()
    {
        var calls = new NodeCalls();
        var slots = new CompositionSlots(new RecordingOptions(), calls, cores: 4);
        Assert.Equal(4, slots.Capacity);
        calls.MediaOpened();
        Assert.Equal(2, slots.Capacity);
        var a = await slots.EnterAsync("t/a", CancellationToken.None);
        var b = await slots.EnterAsync("t/b", CancellationToken.None);
        var waiting = new[] { "t/c", "t/d", "t/e" }.Select(job => slots.EnterAsync(job, CancellationToken.None)).ToArray();
        Assert.Equal((2, 3), (slots.Running, slots.Waiting));

        // The last live call ends: the two waiting longest start at once.
        calls.MediaClosed();
        var c = await waiting[0].WaitAsync(TimeSpan.FromSeconds(5));
        var d = await waiting[1].WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal((4, 1, 1), (slots.Running, slots.Waiting, slots.PlaceOf("t/e")));

        // A call starts: the four go on, and the next starts only once they are back within half the cores.
        calls.MediaOpened();
        Assert.Equal((2, 4), (slots.Capacity, slots.Running));
        c.Dispose();
        a.Dispose();
        Assert.Equal((2, 1), (slots.Running, slots.Waiting));
        Assert.False(waiting[2].IsCompleted);
        b.Dispose();
        using var e = await waiting[2].WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal((2, 0), (slots.Running, slots.Waiting));
        d.Dispose();
    }

    [Fact]
    public void A_configured_number_of_composition_slots_holds_whatever_the_calls()
    {
        var calls = new NodeCalls();
        var slots = new CompositionSlots(new RecordingOptions { CompositionSlots = 3 }, calls, cores: 8);
        Assert.Equal(3, slots.Capacity);
        calls.MediaOpened();
        Assert.Equal(3, slots.Capacity);
    }
}
