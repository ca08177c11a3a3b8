using System.Buffers;
using System.Threading.Channels;

namespace Voki.Media.Recording;

/// <summary>A file of a capture, written only by its <see cref="CaptureWriter"/>'s task.</summary>
internal interface ICaptureSink
{
    void Write(ReadOnlySpan<byte> data, long position);
    void Flush();
    void Close();
}

/// <summary>
/// A capture's file I/O, off the media threads: recorders and the timeline queue their writes and one task performs
/// them in order. Media beyond <see cref="MaxQueuedBytes"/> waiting for the disk is dropped and counted, so a
/// stalled disk neither blocks the receive thread nor grows memory; timeline lines and control items are small and
/// always queued.
/// </summary>
internal sealed class CaptureWriter
{
    private enum Action { Write, Flush, Close }
    private readonly record struct Item(ICaptureSink? Sink, Action Action, byte[]? Data, int Length, long Position, bool Counted);

    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<ICaptureSink> _open = [];
    private readonly Sfu.MediaCounters? _counters;
    private readonly Task _worker;
    private long _queuedBytes;
    private long _dropped, _failures;

    public long MaxQueuedBytes { get; }
    /// <summary>Media writes refused because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);
    /// <summary>Writes that failed in the file system (a full disk): skipped, the capture goes on.</summary>
    public long Failures => Interlocked.Read(ref _failures);
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    public CaptureWriter(Sfu.MediaCounters? counters = null, long maxQueuedBytes = 8 << 20)
    {
        _counters = counters;
        MaxQueuedBytes = maxQueuedBytes;
        _worker = Task.Run(Drain);
    }

    /// <summary>Queues <paramref name="data"/> for <paramref name="sink"/>; false when media was dropped for a full queue.</summary>
    public bool TryWrite(ICaptureSink sink, ReadOnlySpan<byte> data, long position, bool droppable)
    {
        if (droppable && Interlocked.Add(ref _queuedBytes, data.Length) > MaxQueuedBytes)
        {
            Interlocked.Add(ref _queuedBytes, -data.Length);
            Interlocked.Increment(ref _dropped);
            if (_counters is not null) Interlocked.Increment(ref _counters.RecorderWritesDropped);
            return false;
        }
        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(1, data.Length));
        data.CopyTo(copy);
        if (_queue.Writer.TryWrite(new Item(sink, Action.Write, copy, data.Length, position, droppable))) return true;
        // The capture was completed meanwhile.
        ArrayPool<byte>.Shared.Return(copy);
        if (droppable) Interlocked.Add(ref _queuedBytes, -data.Length);
        return false;
    }

    /// <summary>Pushes every open file's buffered bytes to the file system, after what is queued before.</summary>
    public void Flush() => _queue.Writer.TryWrite(new Item(null, Action.Flush, null, 0, 0, false));

    /// <summary>Closes <paramref name="sink"/> after its queued writes.</summary>
    public void Close(ICaptureSink sink) => _queue.Writer.TryWrite(new Item(sink, Action.Close, null, 0, 0, false));

    /// <summary>Performs everything queued, closes every file and stops; false when the disk did not finish in time.</summary>
    public bool Complete(TimeSpan timeout)
    {
        _queue.Writer.TryComplete();
        return _worker.Wait(timeout);
    }

    private async Task Drain()
    {
        await foreach (var item in _queue.Reader.ReadAllAsync())
        {
            try
            {
                switch (item.Action)
                {
                    case Action.Write:
                        _open.Add(item.Sink!);
                        item.Sink!.Write(item.Data.AsSpan(0, item.Length), item.Position);
                        break;
                    case Action.Flush:
                        foreach (var sink in _open) sink.Flush();
                        break;
                    case Action.Close:
                        _open.Remove(item.Sink!);
                        item.Sink!.Close();
                        break;
                }
            }
            catch (IOException) { Interlocked.Increment(ref _failures); }
            catch (ObjectDisposedException) { Interlocked.Increment(ref _failures); }
            finally
            {
                if (item.Data is { } data) ArrayPool<byte>.Shared.Return(data);
                if (item.Counted) Interlocked.Add(ref _queuedBytes, -item.Length);
            }
        }
        foreach (var sink in _open)
        {
            try { sink.Close(); }
            catch (IOException) { Interlocked.Increment(ref _failures); }
        }
        _open.Clear();
    }
}
