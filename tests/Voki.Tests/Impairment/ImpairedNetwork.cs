using Microsoft.Extensions.DependencyInjection;
using Voki.Media.Recording;
using Voki.Media.Sfu;
using Voki.Tests.Browser;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Impairment;

/// <summary>
/// What the impairment tests share: one Voki node on real loopback ports and one headless Chromium whose fake camera
/// plays <see cref="Camera"/>, in the private network namespace `./voki test` runs the suite in.
/// </summary>
public sealed class ImpairedNetwork : IAsyncLifetime
{
    private readonly string _media = Path.Combine(Path.GetTempPath(), $"voki-impairment-{Guid.NewGuid():N}");
    public KestrelVokiApp Node { get; } = new();
    public Chromium Chromium { get; private set; } = null!;

    /// <summary>The node's one media UDP port: every impairment is scoped to its flows.</summary>
    public int MediaPort => Node.Services.GetRequiredService<MediaNode>().Port;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_media);
        var camera = Path.Combine(_media, "camera.y4m");
        await Camera(camera);
        Chromium = Chromium.With($"--use-file-for-fake-video-capture={camera}");
        var browser = Chromium.InitializeAsync();
        await Node.InitializeAsync();
        await browser;
    }

    /// <summary>
    /// A moving picture a real camera could give, at 30 fps: FFmpeg's testsrc2 (every frame differs, and it needs more than
    /// a thin link carries: Chromium's own fake camera is 20 fps of a picture that VP8 codes in ~450 kbit/s). Chromium
    /// loops the 5 s file.
    /// </summary>
    public static async Task Camera(string y4m)
    {
        var run = await FfmpegProcess.RunAsync("ffmpeg", ["-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30:duration=5",
            "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", "-y", y4m], TimeSpan.FromMinutes(1), null, false, default);
        if (run.ExitCode != 0) throw new InvalidOperationException($"ffmpeg could not make the camera clip: {run.Reason}");
    }

    public async Task DisposeAsync()
    {
        if (Chromium is not null) await Chromium.DisposeAsync();
        await ((IAsyncLifetime)Node).DisposeAsync();
        if (Directory.Exists(_media)) Directory.Delete(_media, recursive: true);
    }
}

/// <summary>Impairment tests run one at a time, after the parallel tests: loss and ceilings are set on one shared loopback, and real-time media needs the cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ImpairedNetworkCollection : ICollectionFixture<ImpairedNetwork>
{
    public const string Name = "impaired-network";
}
