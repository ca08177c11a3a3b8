namespace Voki.Grains.Grains;

/// <summary>Turns a call's capture directory into the finished WebM (FFmpeg in production).</summary>
public interface IRecordingComposer
{
    /// <summary>Composes and returns the file's duration (whole seconds) and size; throws with a readable reason on failure.</summary>
    Task<(int DurationSeconds, long FileSize)> ComposeAsync(string captureDirectory, string outputPath, CancellationToken cancellation);
}
