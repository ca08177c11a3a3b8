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

    [JsonIgnore] public bool Active => Status is TranscriptionStatus.Pending or TranscriptionStatus.Processing;
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
