using System.Text.Json.Serialization;

namespace Voki.Grains.Model;

public static class TranscriptionStatus
{
    /// <summary>Waiting for its first attempt, for a free transcription slot on the node, or for its next retry.</summary>
    public const string Pending = "pending";
    public const string Processing = "processing";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

/// <summary>
/// A recording's transcription as its RecordingGrain tracks it (decisions.md "Recordings"): pending → processing →
/// completed | failed, with retries going back to pending. The segments live in the transcript_segments table.
/// </summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties)]
public sealed record Transcription
{
    public string Status { get; init; } = TranscriptionStatus.Pending;
    /// <summary>The company's locale when the recording became ready: a BCP-47 tag, or "detect".</summary>
    public string Locale { get; init; } = "pt-BR";
    /// <summary>BCP-47: the locale, or the detected language once completed (null until then with "detect").</summary>
    public string? Language { get; init; }
    /// <summary>The merged transcript: one "Name: words" line per turn.</summary>
    public string? Text { get; init; }
    public int SegmentCount { get; init; }
    /// <summary>Seconds of participant audio transcribed (each participant's track counts on its own).</summary>
    public double? AudioSeconds { get; init; }
    /// <summary>Attempts started so far; one interrupted by a crash counts, one stopped by a graceful shutdown does not.</summary>
    public int Attempts { get; init; }
    public string? FailureReason { get; init; }
    /// <summary>When a pending retry may start (null: now).</summary>
    public DateTime? NextAttemptAt { get; init; }
    public DateTime RequestedAt { get; init; }
    public DateTime? StartedAt { get; init; }
    public DateTime? CompletedAt { get; init; }
    /// <summary>
    /// The windows an unfinished job has transcribed so far, with their segments: a job cut off resumes after them
    /// instead of from zero. Emptied once the job has its outcome (the segments then live in transcript_segments).
    /// </summary>
    /// (An array: grain storage writes the type of a list, and refuses to read the one a collection expression makes.)
    [JsonIgnore] public TranscribedWindow[] FinishedWindows { get; init; } = [];

    [JsonIgnore] public bool Active => Status is TranscriptionStatus.Pending or TranscriptionStatus.Processing;

    /// <summary>Equal when every field is, the finished windows compared one by one (not as array references).</summary>
    public bool Equals(Transcription? other) =>
        other is not null
        && (Status, Locale, Language, Text, SegmentCount, AudioSeconds, Attempts, FailureReason, NextAttemptAt, RequestedAt, StartedAt, CompletedAt)
        == (other.Status, other.Locale, other.Language, other.Text, other.SegmentCount, other.AudioSeconds, other.Attempts, other.FailureReason,
            other.NextAttemptAt, other.RequestedAt, other.StartedAt, other.CompletedAt)
        && FinishedWindows.SequenceEqual(other.FinishedWindows);

    public override int GetHashCode() => HashCode.Combine(Status, Locale, Attempts, RequestedAt, FinishedWindows.Length);
}

/// <summary>One stretch of one participant's speech, in seconds on the call's timeline.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record TranscriptSegment
{
    public double Start { get; init; }
    public double End { get; init; }
    /// <summary>The participant's role: attendant, customer or supervisor.</summary>
    public string Speaker { get; init; } = "";
    public string SpeakerName { get; init; } = "";
    public string Text { get; init; } = "";
}

/// <summary>
/// One window of one participant's track that Whisper has transcribed (WhisperCallTranscriber: the speech regions of up to
/// 30 s of speech). Known by the track's file and the window's first sample; its segments are on the call's timeline.
/// </summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record TranscribedWindow
{
    /// <summary>The track's file name in the capture directory.</summary>
    public string Track { get; init; } = "";
    /// <summary>The window's first and last-plus-one samples in the track (16 kHz).</summary>
    public long Start { get; init; }
    public long End { get; init; }
    public TranscriptSegment[] Segments { get; init; } = [];
    /// <summary>The language Whisper heard in it (detection only) and the seconds of speech it heard it in.</summary>
    public string? Language { get; init; }
    public double LanguageSeconds { get; init; }

    /// <summary>Equal when every field is, the segments compared one by one.</summary>
    public bool Equals(TranscribedWindow? other) =>
        other is not null && (Track, Start, End, Language, LanguageSeconds) == (other.Track, other.Start, other.End, other.Language, other.LanguageSeconds)
        && Segments.SequenceEqual(other.Segments);

    public override int GetHashCode() => HashCode.Combine(Track, Start, End);
}

/// <summary>How far a running transcription is: seconds of participant audio done out of the total.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record TranscriptionProgress
{
    public double ProcessedSeconds { get; init; }
    public double TotalSeconds { get; init; }

    [JsonIgnore] public int Percent => TotalSeconds <= 0 ? 0 : (int)Math.Clamp(Math.Floor(100 * ProcessedSeconds / TotalSeconds), 0, 100);
}

/// <summary>What the transcript endpoints read from the grain: the transcription and, while it runs, its progress.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record TranscriptView
{
    public Transcription Transcription { get; init; } = new();
    public TranscriptionProgress? Progress { get; init; }
}
