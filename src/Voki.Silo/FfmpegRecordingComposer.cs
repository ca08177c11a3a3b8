using Microsoft.Extensions.Configuration;
using Voki.Grains.Grains;
using Voki.Media.Recording;

namespace Voki.Silo;

/// <summary>The recording grain's composer on a node: FFmpeg through <see cref="CallComposer"/>, sized by "Recordings:Composition".</summary>
public sealed class FfmpegRecordingComposer(IConfiguration configuration) : IRecordingComposer
{
    private readonly CompositionOptions _options = configuration.GetSection("Recordings:Composition").Get<CompositionOptions>() ?? new CompositionOptions();

    public async Task<(int DurationSeconds, long FileSize)> ComposeAsync(string captureDirectory, string outputPath, CancellationToken cancellation)
    {
        var result = await CallComposer.ComposeAsync(captureDirectory, outputPath, _options, cancellation);
        return (result.DurationSeconds, result.FileSizeBytes);
    }
}
