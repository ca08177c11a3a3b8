using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.TestingHost;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;
using Voki.Transcription;

namespace Voki.Tests.Transcription;

/// <summary>
/// The recording pipeline as a node registers it, with two test seams: an instant composer (the FFmpeg composer is
/// another change), and a transcriber that runs the real Whisper one unless a test scripted its capture directory.
/// </summary>
public sealed class TranscriptionPipeline : IHostConfigurator
{
    public void Configure(IHostBuilder host) => host.ConfigureServices((context, services) =>
    {
        services.AddSingleton<RecordingRows>();
        // The captures of these tests live in temp directories (TranscriptionFixtures.TempDirectory): that is the root
        // a purge may delete under.
        services.AddSingleton(new RecordingOptions { Root = Path.GetTempPath() });
        services.AddSingleton<IRecordingComposer, InstantComposer>();
        services.AddVokiTranscription(context.Configuration);
        services.AddSingleton<ICallTranscriber, ScriptedTranscriber>();
    });

    /// <summary>The settings the test silos read: the header-only model (fast, no words) and quick retries.</summary>
    public static void Configure(TestClusterBuilder builder)
    {
        builder.Properties["Transcription:ModelPath"] = TranscriptionFixtures.HeaderOnlyModel;
        builder.Properties["Transcription:AllowWeightlessModel"] = "true";
        builder.Properties["Transcription:Threads"] = "1";
        builder.Properties["Transcription:MaxConcurrentJobs"] = "1";
        builder.Properties["Transcription:MaxAttempts"] = "3";
        builder.Properties["Transcription:RetryDelay"] = "00:00:00.200";
        builder.AddSiloBuilderConfigurator<TranscriptionPipeline>();
    }
}

/// <summary>Writes a stand-in WebM at once, so the recording becomes ready and its transcription starts.</summary>
public sealed class InstantComposer : IRecordingComposer
{
    public async Task<(int DurationSeconds, long FileSize)> ComposeAsync(string captureDirectory, string outputPath, CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(outputPath)!);
        await File.WriteAllBytesAsync(outputPath, "\x1A\x45\xDF\xA3 not really a webm"u8.ToArray(), cancellation);
        return (7, new FileInfo(outputPath).Length);
    }
}

/// <summary>One call of the transcriber, as a script sees it.</summary>
public sealed record TranscriptionJob(ICallTranscriber Whisper, string Directory, string Locale, Action<TranscriptionProgress> Progress,
    CancellationToken Cancellation, int Call, TranscriptionOptions Options, ILogger<WhisperCallTranscriber> Logger, TranscriptionCheckpoint? Checkpoint);

/// <summary>Runs the node's Whisper transcriber, unless the test registered a script for the capture directory.</summary>
public sealed class ScriptedTranscriber(TranscriptionOptions options, ILogger<WhisperCallTranscriber> logger) : ICallTranscriber
{
    private static readonly ConcurrentDictionary<string, Func<TranscriptionJob, Task<CallTranscript>>> Scripts = new();
    private static readonly ConcurrentDictionary<string, int> Calls = new();
    private readonly WhisperCallTranscriber _whisper = new(options, logger);

    public static void Script(string directory, Func<TranscriptionJob, Task<CallTranscript>> script) => Scripts[directory] = script;

    public static int CallsFor(string directory) => Calls.GetValueOrDefault(directory);

    public Task<CallTranscript> TranscribeAsync(string captureDirectory, string locale, Action<TranscriptionProgress> progress, CancellationToken cancellation,
        TranscriptionCheckpoint? checkpoint = null)
    {
        var call = Calls.AddOrUpdate(captureDirectory, 1, (_, n) => n + 1);
        return Scripts.TryGetValue(captureDirectory, out var script)
            ? script(new TranscriptionJob(_whisper, captureDirectory, locale, progress, cancellation, call, options, logger, checkpoint))
            : _whisper.TranscribeAsync(captureDirectory, locale, progress, cancellation, checkpoint);
    }
}

/// <summary>A transcription a test holds in the middle until it lets go.</summary>
public sealed class Gate
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Entered => _entered.Task;
    public void Release() => _release.TrySetResult();

    public async Task Hold(CancellationToken cancellation)
    {
        _entered.TrySetResult();
        await _release.Task.WaitAsync(cancellation);
    }
}
