using System.Text.Json;
using System.Text.Json.Serialization;

namespace Voki.Media.Recording;

/// <summary>
/// What a call's capture directory holds, as one JSON object per line in timeline.jsonl, written as
/// things happen (and flushed with the media, at least every second):
/// <list type="bullet">
/// <item><c>call</c>: the capture started (at).</item>
/// <item><c>join</c>/<c>leave</c>: a participant (participant, name, role) entered or left the media session.</item>
/// <item><c>track</c>: a published track's file (kind audio|video, file, ssrc, clock_rate, first_rtp, at = arrival of its first packet).
///   An RTP timestamp discontinuity starts a new file of the same track with a track event of its own (a segment).
///   Video files are IVF (VP8, 90 kHz timestamps relative to first_rtp); audio files are Ogg Opus (granule = 48 kHz samples from first_rtp).</item>
/// <item><c>sr</c>: an RTCP sender report of a track (ssrc, rtp, ntp_ms = the sender's wall clock in Unix ms, at = arrival), the
///   mapping that aligns a participant's audio and video on one timeline.</item>
/// <item><c>sync</c>: once a second per track, its least-delayed packet of that second (ssrc, rtp, at = its arrival), see
///   <see cref="ArrivalSampler"/>: with many packets behind it, a far better clock anchor than one SR or the first packet.</item>
/// <item><c>mute</c>: a participant muted or unmuted a kind (muted true|false).</item>
/// <item><c>track_stopped</c>: a track's capture stopped at a ceiling (participant, kind, ssrc, reason: track_bytes|bitrate|segments|tracks);
///   its file ends there, the call's other tracks go on.</item>
/// <item><c>capture_stopped</c>: the whole capture stopped writing media (reason: call_quota|tenant_quota|disk_low); the
///   timeline goes on, so the recording still spans the call.</item>
/// <item><c>end</c>: the capture was closed normally (a crash leaves no end line; what was written is still composed).</item>
/// </list>
/// All "at" values are the capturing node's wall clock in Unix milliseconds.
/// </summary>
public sealed record TimelineEvent
{
    public string Type { get; init; } = "";
    public long At { get; init; }
    public string? Participant { get; init; }
    public string? Name { get; init; }
    public string? Role { get; init; }
    public string? Kind { get; init; }
    public string? File { get; init; }
    public uint? Ssrc { get; init; }
    public int? ClockRate { get; init; }
    public uint? FirstRtp { get; init; }
    public uint? Rtp { get; init; }
    public long? NtpMs { get; init; }
    public bool? Muted { get; init; }
    public string? Reason { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public const string FileName = "timeline.jsonl";

    /// <summary>Reads a capture's timeline; a torn last line (the node died mid-write) is skipped.</summary>
    public static List<TimelineEvent> Read(string directory)
    {
        var events = new List<TimelineEvent>();
        foreach (var line in System.IO.File.ReadLines(Path.Combine(directory, FileName)))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try { events.Add(JsonSerializer.Deserialize<TimelineEvent>(line, Json)!); }
            catch (JsonException) { }
        }
        return events;
    }

    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
