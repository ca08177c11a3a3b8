namespace Voki.Media.Recording;

/// <summary>
/// What a call's capture may cost (section "Media:Capture"). A track beyond its byte or bitrate ceiling stops being
/// captured (<c>track_stopped</c>); a call beyond its quota, a tenant beyond its quota or a disk below the free-space
/// watermark stops the whole capture (<c>capture_stopped</c>). Live media is never affected: only what is written.
/// </summary>
public sealed class CaptureLimits
{
    /// <summary>Bytes of one track's media (all its segments): 4 GiB is 3.5 hours of video at 2.5 Mbit/s.</summary>
    public long MaxTrackBytes { get; set; } = 4L << 30;
    /// <summary>Video a track may sustain, in bits per second (twice the REMB ceiling we ask publishers for).</summary>
    public long MaxVideoBitrate { get; set; } = 5_000_000;
    /// <summary>Audio a track may sustain, in bits per second (Opus tops out at 510 kbit/s).</summary>
    public long MaxAudioBitrate { get; set; } = 600_000;
    /// <summary>How long a burst (a keyframe, a catch-up after loss) may run above the bitrate before the track is stopped.</summary>
    public TimeSpan BitrateBurst { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Bytes of one call's capture, every track together.</summary>
    public long MaxCallBytes { get; set; } = 16L << 30;
    /// <summary>
    /// Bytes of one tenant's open captures on this node (the tenant is the session key's prefix, <c>{tenant}/{callId}</c>).
    /// Per node: the quota is not shared across the cluster; a capture's bytes count until it closes.
    /// </summary>
    public long MaxTenantBytes { get; set; } = 64L << 30;
    /// <summary>Capture stops when the file system holding it has less free space than this (checked every second).</summary>
    public long MinFreeDiskBytes { get; set; } = 1L << 30;
    /// <summary>
    /// An RTP timestamp that moves further than this from the time between arrivals (a sender's jump, a restarted
    /// clock) starts a new segment placed by its arrival, rather than claiming the jump's length (RFC 3550 §5.1).
    /// </summary>
    public TimeSpan MaxTimestampSkew { get; set; } = TimeSpan.FromSeconds(3);
    /// <summary>Segments (files) one track may be split into by discontinuities; beyond, its capture stops.</summary>
    public int MaxSegmentsPerTrack { get; set; } = 8;
    /// <summary>Tracks one call's capture records over its life (participants who republish add tracks).</summary>
    public int MaxTracksPerCall { get; set; } = 64;
}
