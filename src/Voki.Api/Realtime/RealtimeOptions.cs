namespace Voki.Api.Realtime;

/// <summary>Configuration section "Realtime".</summary>
public sealed class RealtimeOptions
{
    /// <summary>A socket that sends nothing (not even a heartbeat, every 30 s from the official client) for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>How long a presence entry outlives its socket's last refresh (a node that crashed stops refreshing).</summary>
    public TimeSpan PresenceTtl { get; set; } = TimeSpan.FromSeconds(60);
    public int MaxChannelsPerSocket { get; set; } = 100;
    /// <summary>Frames waiting to be written to one socket; a client that falls this far behind is disconnected.</summary>
    public int OutboxCapacity { get; set; } = 1024;
    public int MaxFrameBytes { get; set; } = 1 << 20;
    /// <summary>
    /// Client events (joins included, leaves not) one socket may send on one topic at once, then
    /// <see cref="ChannelEventsPerSecond"/>: each may broadcast to everyone in the call or reach the call's grain. A page
    /// sends a join, an offer, a few candidates and answers, and a mute now and then.
    /// </summary>
    public int ChannelEventBurst { get; set; } = 50;
    public double ChannelEventsPerSecond { get; set; } = 10;
}
