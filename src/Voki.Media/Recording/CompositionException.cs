namespace Voki.Media.Recording;

/// <summary>A recording could not be composed. <see cref="Exception.Message"/> says why (for FFmpeg, the end of what it wrote on stderr).</summary>
public sealed class CompositionException : Exception
{
    public CompositionException(string reason, Exception? inner = null) : base(reason, inner) { }

    /// <summary>FFmpeg's exit status, when FFmpeg ran and failed.</summary>
    public int? ExitCode { get; init; }

    /// <summary>True when FFmpeg was stopped for running past <see cref="CompositionOptions.Timeout"/>.</summary>
    public bool TimedOut { get; init; }
}
