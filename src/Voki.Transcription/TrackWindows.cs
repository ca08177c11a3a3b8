using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Voki.Media.Recording;

namespace Voki.Transcription;

/// <summary>
/// One track's speech windows, found ahead of Whisper: a thread of its own below live media (a thread made by one at
/// <see cref="BelowNormalPriority.Nice"/> starts there too) reads FFmpeg's stream and runs the VAD, and hands over each
/// window through a one-place channel, so it finds the next window while Whisper works on this one and never holds
/// more than that. Disposing stops it (FFmpeg is killed) and waits for it.
/// </summary>
public sealed class TrackWindows : IAsyncDisposable
{
    private readonly Channel<SpeechWindow> _windows = Channel.CreateBounded<SpeechWindow>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stop;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ExceptionDispatchInfo? _error;

    /// <summary>The track's decoded length in samples, once every window has been read.</summary>
    public long Samples { get; private set; }

    public TrackWindows(string ffmpeg, AudioTrack track, SileroVad? vad, CancellationToken cancellation)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var stop = _stop.Token;
        BelowNormalPriority.Run(() =>
        {
            new Thread(() => Produce(ffmpeg, track, vad, stop)) { IsBackground = true, Name = "voki-vad" }.Start();
            return true;
        });
    }

    private void Produce(string ffmpeg, AudioTrack track, SileroVad? vad, CancellationToken stop)
    {
        try
        {
            using var pcm = PcmDecoder.Start(ffmpeg, track.File, track.Duration, stop);
            var windows = vad is null ? SpeechWindows.Consecutive(pcm) : SpeechWindows.Read(pcm, vad, new SpeechDetector());
            foreach (var window in windows)
                if (!_windows.Writer.TryWrite(window))
                    _windows.Writer.WriteAsync(window, stop).AsTask().GetAwaiter().GetResult();
            Samples = pcm.SamplesRead;
        }
        catch (Exception e) { _error = ExceptionDispatchInfo.Capture(e); }
        finally
        {
            _windows.Writer.TryComplete();
            _finished.TrySetResult();
        }
    }

    /// <summary>The windows in track order; throws what stopped the decoding or the VAD.</summary>
    public async IAsyncEnumerable<SpeechWindow> ReadAllAsync()
    {
        await foreach (var window in _windows.Reader.ReadAllAsync()) yield return window;
        await _finished.Task;
        _error?.Throw();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _finished.Task;
        _stop.Dispose();
    }
}
