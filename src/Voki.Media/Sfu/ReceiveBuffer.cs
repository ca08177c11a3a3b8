using System.Buffers;

namespace Voki.Media.Sfu;

/// <summary>Receives the packets a <see cref="ReceiveBuffer"/> releases, in sequence order.</summary>
public delegate void ReleasedPacket(ReadOnlySpan<byte> packet, long sequence);

/// <summary>
/// Puts one received stream back in sequence order for a consumer that cannot take gaps lightly (the recorder):
/// packets are released in order; a missing packet holds back those after it until it arrives (reordered or
/// retransmitted), it is declared <see cref="Lost"/>, or it has been waited for <c>maxWait</c>. At most
/// <c>capacity</c> sequence numbers are held; a packet beyond that window pushes the oldest out. Packets are kept
/// in pooled arrays only while held. Not thread-safe: its owner locks.
/// </summary>
public sealed class ReceiveBuffer(int capacity, TimeSpan maxWait, ReleasedPacket release) : IDisposable
{
    private readonly byte[]?[] _packets = new byte[capacity][];
    private readonly int[] _lengths = new int[capacity];
    private readonly long[] _sequences = Enumerable.Repeat(-1L, capacity).ToArray();
    private readonly bool[] _lost = new bool[capacity];
    private long _next = -1, _highest = -1;
    private long _waitingFor = -1;
    private TimeSpan _waitingSince;

    public int Capacity => capacity;
    /// <summary>Packets held back behind a missing one.</summary>
    public int Held { get; private set; }
    /// <summary>Sequence numbers passed over without a packet.</summary>
    public long Skipped { get; private set; }
    /// <summary>Packets that came after their place had been passed, or twice.</summary>
    public long Discarded { get; private set; }

    public void Push(long sequence, ReadOnlySpan<byte> packet, TimeSpan now)
    {
        if (_next < 0) _next = sequence;
        if (sequence < _next) { Discarded++; return; }
        if (sequence >= _next + capacity) ReleaseBefore(sequence - capacity + 1);
        var slot = Slot(sequence);
        if (_sequences[slot] == sequence) { Discarded++; return; }
        var copy = ArrayPool<byte>.Shared.Rent(packet.Length);
        packet.CopyTo(copy);
        _packets[slot] = copy;
        _lengths[slot] = packet.Length;
        _sequences[slot] = sequence;
        _lost[slot] = false;
        Held++;
        if (sequence > _highest) _highest = sequence;
        Drain(now);
    }

    /// <summary>No packet will come for <paramref name="sequence"/>: stop waiting for it.</summary>
    public void Lost(long sequence, TimeSpan now)
    {
        if (_next < 0 || sequence < _next || sequence >= _next + capacity) return;
        var slot = Slot(sequence);
        if (_sequences[slot] == sequence) return;
        Free(slot);
        _sequences[slot] = sequence;
        _lost[slot] = true;
        if (sequence > _highest) _highest = sequence;
        Drain(now);
    }

    /// <summary>Stops waiting for a missing packet once it has held the others back for <c>maxWait</c>.</summary>
    public void Expire(TimeSpan now)
    {
        if (_waitingFor < 0 || now - _waitingSince < maxWait) return;
        while (_next <= _highest && _sequences[Slot(_next)] != _next) { _next++; Skipped++; }
        Drain(now);
    }

    /// <summary>Releases everything held, in order, passing over what is missing (the stream ended).</summary>
    public void Flush()
    {
        if (_highest >= 0) ReleaseBefore(_highest + 1);
        _waitingFor = -1;
    }

    private void ReleaseBefore(long sequence)
    {
        while (_next < sequence)
        {
            var slot = Slot(_next);
            if (_sequences[slot] == _next) ReleaseSlot(slot);
            else Skipped++;
            _next++;
        }
        if (_highest < _next - 1) _highest = _next - 1;
    }

    private void Drain(TimeSpan now)
    {
        while (_next <= _highest)
        {
            var slot = Slot(_next);
            if (_sequences[slot] != _next) break;
            ReleaseSlot(slot);
            _next++;
        }
        if (_next > _highest) _waitingFor = -1;
        else if (_waitingFor != _next) { _waitingFor = _next; _waitingSince = now; }
    }

    private void ReleaseSlot(int slot)
    {
        var sequence = _sequences[slot];
        if (_lost[slot]) Skipped++;
        else if (_packets[slot] is { } packet)
        {
            // Freed before the consumer runs, so a consumer that throws cannot leave the slot half-released.
            var length = _lengths[slot];
            _packets[slot] = null;
            Held--;
            try { release(packet.AsSpan(0, length), sequence); }
            finally { ArrayPool<byte>.Shared.Return(packet); }
        }
        _lost[slot] = false;
    }

    private void Free(int slot)
    {
        if (_packets[slot] is { } packet) { ArrayPool<byte>.Shared.Return(packet); _packets[slot] = null; Held--; }
    }

    private int Slot(long sequence) => (int)(sequence % capacity);

    public void Dispose()
    {
        for (var slot = 0; slot < capacity; slot++) Free(slot);
    }
}
