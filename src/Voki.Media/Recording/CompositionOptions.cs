namespace Voki.Media.Recording;

/// <summary>libvpx's VP8 settings for one kind of layout: -cpu-used (0 slowest to 16 fastest, with -deadline realtime) and the bitrate.</summary>
public sealed record VideoEncoding
{
    public int CpuUsed { get; init; }
    public int BitrateKbps { get; init; }

    /// <summary>libvpx's -static-thresh: a macroblock whose prediction error is below this is coded unchanged, with no
    /// residual; 0 (the default) codes every one. On testsrc2 pictures 1000 saved 10–16 % of the CPU for 0.003 of SSIM,
    /// inside one VM's run-to-run spread (docs/benchmarks.md); a camera's still background is where it would pay.</summary>
    public int StaticThreshold { get; init; }

    public void Validate(string what)
    {
        if (CpuUsed is < -16 or > 16) throw new ArgumentException($"{what}: cpu-used {CpuUsed}");
        if (BitrateKbps is < 50 or > 50_000) throw new ArgumentException($"{what}: video bitrate {BitrateKbps} kbit/s");
        if (StaticThreshold is < 0 or > 100_000) throw new ArgumentException($"{what}: static threshold {StaticThreshold} (0 to 100000)");
    }
}

/// <summary>How <see cref="CallComposer"/> composes a recording. The defaults: a call that never shows more than two
/// tiles at once gets a frame sized to its cameras within 1280×720 (1280×480 for two 4:3 cameras side by side), a
/// larger one the 1280×720 grid; 30 fps, VP8 at cpu-used 16 and 1.5 Mbit/s, mono Opus at 48 kbit/s, with libvpx in
/// real-time mode. Against the earlier 1280×720 at cpu-used 8 and 1 Mbit/s that is 2.0–2.6× less CPU per recorded
/// minute for a 2-party call with every tile's SSIM against its source frames above 0.95 (docs/benchmarks.md).</summary>
public sealed record CompositionOptions
{
    /// <summary>The frame with three or more tiles; with at most two (and <see cref="FrameToCameras"/>), the box the frame sized to the cameras fits in.</summary>
    public int Width { get; init; } = 1280;
    public int Height { get; init; } = 720;
    public int FrameRate { get; init; } = 30;

    /// <summary>When no scene shows more than two tiles, size the frame to the cameras (their tiles side by side at the
    /// tallest camera's aspect, within <see cref="Width"/>×<see cref="Height"/>) instead of letterboxing them in 16:9:
    /// in a 1280×720 frame two 4:3 pictures leave a third of it black, and encoding costs per pixel.</summary>
    public bool FrameToCameras { get; init; } = true;

    /// <summary>VP8 settings of a frame sized to the cameras (one or two tiles). At 1280×480, cpu-used 16 alone lost
    /// 0.01–0.02 SSIM (0.942/0.934); 1.5 Mbit/s wins it back (0.957/0.954) for little CPU (bench/recording).</summary>
    public VideoEncoding CameraFrameEncoding { get; init; } = new() { CpuUsed = 16, BitrateKbps = 1500 };

    /// <summary>VP8 settings of the <see cref="Width"/>×<see cref="Height"/> grid (three tiles or more, or
    /// <see cref="FrameToCameras"/> off). cpu-used 16 costs about half of 8's CPU; at 1.5 Mbit/s every tile's SSIM is
    /// at or above the earlier default's (cpu-used 8, 1 Mbit/s) in the 4-party bench (bench/recording).</summary>
    public VideoEncoding GridEncoding { get; init; } = new() { CpuUsed = 16, BitrateKbps = 1500 };

    public int AudioBitrateKbps { get; init; } = 48;

    /// <summary>1 (mono, the voices of a call) or 2.</summary>
    public int AudioChannels { get; init; } = 1;

    /// <summary>The VP8 settings for <paramref name="plan"/>'s layout.</summary>
    public VideoEncoding EncodingFor(CompositionPlan plan) => plan.SizedToCameras ? CameraFrameEncoding : GridEncoding;

    /// <summary>The same VP8 settings for every layout.</summary>
    public CompositionOptions WithEncoding(int cpuUsed, int bitrateKbps) =>
        this with { CameraFrameEncoding = new() { CpuUsed = cpuUsed, BitrateKbps = bitrateKbps }, GridEncoding = new() { CpuUsed = cpuUsed, BitrateKbps = bitrateKbps } };

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
        (CameraFrameEncoding ?? throw new ArgumentException("no camera frame encoding")).Validate(nameof(CameraFrameEncoding));
        (GridEncoding ?? throw new ArgumentException("no grid encoding")).Validate(nameof(GridEncoding));
        if (AudioBitrateKbps is < 6 or > 510) throw new ArgumentException($"audio bitrate {AudioBitrateKbps} kbit/s");
        if (AudioChannels is not (1 or 2)) throw new ArgumentException($"audio channels {AudioChannels}");
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
