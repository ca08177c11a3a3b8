namespace Voki.Media.Recording;

/// <summary>
/// A call's capture as the composer sees it: who was there when, and where each track lies on the recording's
/// timeline. Times are milliseconds from the recording's origin (the first join), on the capturing node's clock.
/// </summary>
public sealed record CaptureModel
{
    /// <summary>The capture clock (Unix ms) of the recording's first instant: the first join.</summary>
    public required long OriginUnixMs { get; init; }

    /// <summary>The recording's length: to the last leave, or to the last media of a capture cut by a crash.</summary>
    public required long DurationMs { get; init; }

    /// <summary>False when the capture has no <c>end</c> event (the node died): open presences were closed at the last media.</summary>
    public required bool EndedNormally { get; init; }

    /// <summary>In join order.</summary>
    public required IReadOnlyList<CapturedParticipant> Participants { get; init; }

    /// <summary>What was skipped or repaired (a missing or empty file, a torn last frame, an implausible sender report).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public IEnumerable<CapturedTrack> Tracks => Participants.SelectMany(p => p.Tracks);
}

public sealed record CapturedParticipant
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string? Role { get; init; }

    /// <summary>0 for the first participant to join, then 1, 2, ...: the order of the tiles.</summary>
    public required int JoinOrder { get; init; }

    /// <summary>When the participant was in the media session (a rejoin adds an interval), sorted, clipped to the recording.</summary>
    public required IReadOnlyList<TimeRange> Presence { get; init; }

    /// <summary>When the participant's camera was muted.</summary>
    public IReadOnlyList<TimeRange> VideoMuted { get; init; } = [];

    public required IReadOnlyList<CapturedTrack> Tracks { get; init; }
}

public enum TrackKind { Audio, Video }

/// <summary>How a track's start was put on the recording's timeline.</summary>
public enum TrackPlacementSource
{
    /// <summary>RTCP sender report: RTP → the sender's wall clock → the capture clock (lip sync within a participant).</summary>
    SenderReport,
    /// <summary>The arrival of the track's first packet (no usable sender report).</summary>
    FirstPacketArrival,
    /// <summary>The least-delayed of the track's sync samples (no usable sender report): as delayed as the SR-placed tracks' anchor.</summary>
    ArrivalSamples,
}

public sealed record CapturedTrack
{
    public required string ParticipantId { get; init; }
    public required TrackKind Kind { get; init; }
    public required string FilePath { get; init; }
    public required uint Ssrc { get; init; }

    /// <summary>Where the track's first RTP timestamp (media time 0 of its file) lies on the recording's timeline.</summary>
    public required long StartMs { get; init; }

    /// <summary>The end of what was written (the last complete frame or page).</summary>
    public required long EndMs { get; init; }

    public required TrackPlacementSource PlacedBy { get; init; }

    /// <summary>
    /// Seconds of the sender's wall clock per second of the track's media time, from its sender reports: a sender
    /// whose audio and video clocks drift apart (0.1 % is 1.2 s in 20 minutes) is composed on its wall clock.
    /// </summary>
    public double ClockScale { get; init; } = 1.0;

    /// <summary>The bytes of the file that hold complete frames or pages; less than the file's length when the last one is torn.</summary>
    public required long ReadableBytes { get; init; }

    public bool Torn { get; init; }

    /// <summary>Video: the frame size of the first key frame (or of the IVF header).</summary>
    public int Width { get; init; }
    public int Height { get; init; }

    /// <summary>Video: where its pictures pause on the recording's timeline (a simulcast layer the sender stopped for a while).</summary>
    public IReadOnlyList<TimeRange> Gaps { get; init; } = [];

    public TimeRange Range => new(StartMs, EndMs);
}

/// <summary>A half-open interval [StartMs, EndMs) of milliseconds.</summary>
public readonly record struct TimeRange(long StartMs, long EndMs)
{
    public long LengthMs => EndMs - StartMs;
    public bool IsEmpty => EndMs <= StartMs;
    public bool Contains(long ms) => ms >= StartMs && ms < EndMs;
    public TimeRange Clip(long startMs, long endMs) => new(Math.Max(StartMs, startMs), Math.Min(EndMs, endMs));
    public override string ToString() => $"[{StartMs}, {EndMs})";
}
