using System.Text.Json.Serialization;

namespace Voki.Grains.Model;

/// <summary>A call's recording as its grain tracks it, from capture to the finished WebM and its purge.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties)]
public sealed record Recording
{
    public Guid Id { get; init; }
    public Guid CallId { get; init; }
    /// <summary>processing → ready | failed; ready → expired when retention purges the file.</summary>
    public string Status { get; init; } = RecordingStatus.Processing;
    public string CaptureDirectory { get; init; } = "";
    public string OutputPath { get; init; } = "";
    public int? DurationSeconds { get; init; }
    public long? FileSize { get; init; }
    public int Attempts { get; init; }
    public string? FailureReason { get; init; }
    public int? RetentionDays { get; init; }
    public DateTime? CreatedAt { get; init; }
    public DateTime? ExpiresAt { get; init; }
    /// <summary>The HTTP base of the node whose disk holds the file, for downloads through other nodes.</summary>
    public string? NodeUrl { get; init; }
    /// <summary>The silo endpoint of that node: where a purge deletes the files (<see cref="Grains.RecordingFiles"/>).</summary>
    public string? HolderNode { get; init; }
    /// <summary>The silo endpoint of the node that composed the WebM (operators only: the recording's JSON does not show it).</summary>
    public string? ComposedBy { get; init; }
    /// <summary>Why a due purge has not happened yet (the holder is not in the cluster); the recording stays until it has.</summary>
    public string? PurgePending { get; init; }
    /// <summary>Null when transcription does not apply (company setting off, or a plan without it).</summary>
    public Transcription? Transcription { get; init; }

    [JsonIgnore] public bool Exists => Id != Guid.Empty;
}

/// <summary>What the call grain hands over when the call completes with a capture.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record RecordingRequest
{
    public string CaptureDirectory { get; init; } = "";
    public string OutputPath { get; init; } = "";
    public int? RetentionDays { get; init; }
    public string? NodeUrl { get; init; }
    public string? HolderNode { get; init; }
}
