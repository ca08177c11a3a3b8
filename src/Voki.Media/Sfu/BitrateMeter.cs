namespace Voki.Media.Sfu;

/// <summary>
/// What one received RTP stream carries, in bit/s over its last whole window of <see cref="Window"/>: what a simulcast
/// layer costs a subscriber's downlink. A stream that sent nothing for two windows reads 0 (the publisher paused it).
/// Written by the receive thread, read by others.
/// </summary>
public sealed class BitrateMeter
{
    /// <summary>Long enough that a keyframe does not make a layer look twice its rate.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(1);
    private long _windowStart = long.MinValue, _bytes, _lastRate, _lastPacketTicks = long.MinValue;

    public void Add(int bytes, TimeSpan now)
    {
        if (_windowStart == long.MinValue) _windowStart = now.Ticks;
        var elapsed = now.Ticks - _windowStart;
        if (elapsed >= Window.Ticks)
        {
            // A window without packets (a gap longer than one) counts as the stream's rate over the whole gap.
            Volatile.Write(ref _lastRate, _bytes * 8 * TimeSpan.TicksPerSecond / elapsed);
            _windowStart = now.Ticks;
            _bytes = 0;
        }
        _bytes += bytes;
        Volatile.Write(ref _lastPacketTicks, now.Ticks);
    }

    public long Current(TimeSpan now)
    {
        var last = Volatile.Read(ref _lastPacketTicks);
        if (last == long.MinValue || now.Ticks - last > 2 * Window.Ticks) return 0;
        return Volatile.Read(ref _lastRate);
    }
}
