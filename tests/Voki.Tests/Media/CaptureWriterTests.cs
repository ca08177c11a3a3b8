using Voki.Media.Recording;
using Voki.Media.Sfu;

namespace Voki.Tests.Media;

/// <summary>The recorders' file I/O runs on the capture's writer task: a stalled disk drops media, never blocks or grows.</summary>
public sealed class CaptureWriterTests
{
    private sealed class StalledDisk : ICaptureSink
    {
        public readonly ManualResetEventSlim Unstalled = new();
        public readonly List<long> Written = [];
        public int Flushes, Closes;

        public void Write(ReadOnlySpan<byte> data, long position)
        {
            Unstalled.Wait();
            lock (Written) Written.Add(position);
        }

        public void Flush() => Flushes++;
        public void Close() => Closes++;
    }

    [Fact]
    public void A_stalled_disk_drops_media_with_a_counter_instead_of_queueing_without_bound()
    {
        var counters = new MediaCounters();
        var writer = new CaptureWriter(counters, maxQueuedBytes: 10_000);
        var disk = new StalledDisk();
        var frame = new byte[1000];
        var accepted = new List<long>();
        for (var i = 0; i < 50; i++)
            if (writer.TryWrite(disk, frame, i, droppable: true)) accepted.Add(i);
        // At most ten frames wait (one may already be in the stalled write); the rest are counted as dropped.
        Assert.InRange(accepted.Count, 10, 11);
        Assert.Equal(50 - accepted.Count, writer.Dropped);
        Assert.Equal(writer.Dropped, counters.RecorderWritesDropped);
        Assert.True(writer.QueuedBytes <= 10_000);
        // Timeline lines are never dropped.
        Assert.True(writer.TryWrite(disk, new byte[100], -1, droppable: false));

        disk.Unstalled.Set();
        writer.Flush();
        writer.Close(disk);
        Assert.True(writer.Complete(TimeSpan.FromSeconds(10)));
        Assert.Equal([.. accepted, -1], disk.Written); // in order, and everything accepted
        Assert.Equal(1, disk.Flushes);
        Assert.Equal(1, disk.Closes);
        Assert.Equal(0, writer.QueuedBytes);
    }
}
