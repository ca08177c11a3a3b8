namespace Voki.Media.Recording;

/// <summary>A finished recording.</summary>
public sealed record CompositionResult
{
    /// <summary>The file's duration in whole seconds (rounded), as ffprobe reads it.</summary>
    public required int DurationSeconds { get; init; }

    /// <summary>The file's duration as ffprobe reads it.</summary>
    public required TimeSpan Duration { get; init; }

    public required long FileSizeBytes { get; init; }

    /// <summary>CPU time FFmpeg used (user + system), when it reported it.</summary>
    public TimeSpan? CpuTime { get; init; }

    /// <summary>FFmpeg's peak resident memory, when it reported it.</summary>
    public long? PeakMemoryBytes { get; init; }

    /// <summary>Wall-clock time of the composition.</summary>
    public required TimeSpan Elapsed { get; init; }

    public required int Participants { get; init; }

    /// <summary>What the capture lacked or had torn (see <see cref="CaptureModel.Warnings"/>).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
