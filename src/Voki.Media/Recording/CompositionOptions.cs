namespace Voki.Media.Recording;

/// <summary>How <see cref="CallComposer"/> composes a recording. The defaults give 1280×720 at 30 fps, VP8 at 1 Mbit/s
/// and mono Opus at 48 kbit/s, with libvpx in real-time mode so that a 2-core machine keeps up.</summary>
public sealed record CompositionOptions
{
    public int Width { get; init; } = 1280;
    public int Height { get; init; } = 720;
    public int FrameRate { get; init; } = 30;
    public int VideoBitrateKbps { get; init; } = 1000;
    public int AudioBitrateKbps { get; init; } = 48;

    /// <summary>1 (mono, the voices of a call) or 2.</summary>
    public int AudioChannels { get; init; } = 1;

    /// <summary>libvpx -cpu-used (VP8: 0 slowest to 16 fastest) with -deadline realtime. 16 costs about 2.3 times less
    /// CPU than 8 for about 0.1 dB less PSNR at the same bitrate (bench/recording).</summary>
    public int VpxCpuUsed { get; init; } = 8;

    /// <summary>A key frame at least this often, for seeking.</summary>
    public int KeyFrameIntervalSeconds { get; init; } = 5;

    /// <summary>Threads of FFmpeg's encoder, and of each of its decoders and its filter graph: the composition's CPU
    /// budget in cores. One: VP8's threaded encoder waits by spinning, and on a busy 2-core machine two threads cost
    /// ~70 % more CPU and were no faster (bench/recording); unbounded, FFmpeg gives every input and the filter graph as
    /// many threads as the machine has cores.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Run FFmpeg below normal priority (nice <see cref="BelowNormalPriority.Nice"/>, every thread of it from
    /// the start) so that it does not take CPU from live calls on the same machine.</summary>
    public bool LowPriority { get; init; } = true;

    /// <summary>FFmpeg is stopped after it has run this long; null: <see cref="MinimumTimeout"/> plus
    /// <see cref="TimeoutPerRecordedSecond"/> × the recording's duration. Counted from FFmpeg's start: a composition
    /// waiting for a slot has not started.</summary>
    public TimeSpan? Timeout { get; init; }

    public TimeSpan MinimumTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Seconds FFmpeg may run per second recorded, beyond <see cref="MinimumTimeout"/>. Alone on a core it
    /// needs about 0.25-0.4 (bench/recording): 3 leaves room for a node whose cores live calls take.</summary>
    public double TimeoutPerRecordedSecond { get; init; } = 3;

    /// <summary>How long FFmpeg may run for a recording of <paramref name="seconds"/>.</summary>
    public TimeSpan TimeLimit(double seconds) => Timeout ?? MinimumTimeout + TimeSpan.FromSeconds(TimeoutPerRecordedSecond * seconds);

    /// <summary>
    /// Video tracks FFmpeg decodes for one recording (each is an input and an overlay); beyond, the longest are kept.
    /// The grid shows at most <see cref="LayoutEngine.MaxTiles"/> at once; participants who republish add tracks over time.
    /// </summary>
    public int MaxVideoInputs { get; init; } = 24;

    /// <summary>Audio tracks mixed into one recording; beyond, the longest are kept.</summary>
    public int MaxAudioInputs { get; init; } = 24;

    public string FfmpegPath { get; init; } = "ffmpeg";
    public string FfprobePath { get; init; } = "ffprobe";

    /// <summary>A TrueType font for names; null: DejaVu Sans (Debian package fonts-dejavu-core) or Liberation Sans.</summary>
    public string? FontFile { get; init; }

    /// <summary>Where the filter graph and name files are written while FFmpeg runs; null: the system's temporary directory.</summary>
    public string? TemporaryDirectory { get; init; }

    /// <summary>Told the fraction (0..1) of the recording encoded so far.</summary>
    public IProgress<double>? Progress { get; init; }

    public static readonly IReadOnlyList<string> DefaultFonts =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    ];

    public void Validate()
    {
        if (Width is < 64 or > 4096 || Height is < 64 or > 4096 || Width % 2 != 0 || Height % 2 != 0)
            throw new ArgumentException($"the frame size must be even and between 64 and 4096: {Width}x{Height}");
        if (FrameRate is < 1 or > 60) throw new ArgumentException($"the frame rate must be 1 to 60: {FrameRate}");
        if (VideoBitrateKbps is < 50 or > 50_000) throw new ArgumentException($"video bitrate {VideoBitrateKbps} kbit/s");
        if (AudioBitrateKbps is < 6 or > 510) throw new ArgumentException($"audio bitrate {AudioBitrateKbps} kbit/s");
        if (AudioChannels is not (1 or 2)) throw new ArgumentException($"audio channels {AudioChannels}");
        if (VpxCpuUsed is < -16 or > 16) throw new ArgumentException($"cpu-used {VpxCpuUsed}");
        if (Threads is < 1 or > 64) throw new ArgumentException($"threads {Threads}");
        if (MaxVideoInputs is < 1 or > 64 || MaxAudioInputs is < 1 or > 64) throw new ArgumentException($"inputs: {MaxVideoInputs} video, {MaxAudioInputs} audio (1 to 64)");
        if (KeyFrameIntervalSeconds is < 1 or > 60) throw new ArgumentException($"key frame interval {KeyFrameIntervalSeconds} s");
        if (MinimumTimeout <= TimeSpan.Zero || TimeoutPerRecordedSecond is < 0 or > 1000 || Timeout <= TimeSpan.Zero)
            throw new ArgumentException($"time limit: {Timeout?.ToString() ?? $"{MinimumTimeout} + {TimeoutPerRecordedSecond} s per recorded second"}");
    }

    /// <summary>The font file to draw names with, or null when none is installed.</summary>
    public string? ResolveFont() =>
        FontFile is not null ? (File.Exists(FontFile) ? FontFile : null) : DefaultFonts.FirstOrDefault(File.Exists);
}
