using System.Globalization;
using Voki.Media.Recording;
using Voki.Tests.Recording;

// bench/recording: composes generated captures of 2- and 4-party calls with CallComposer and reports the speed
// (× real time) and FFmpeg's CPU time per recorded minute.
//   dotnet Voki.Bench.Recording.dll [--seconds 60] [--parties 2,4] [--size 1280x720] [--fps 30] [--kbps N] [--cpu-used N] [--threads 1] [--runs 1] [--dir .data/bench-recording]
//   (--size, --kbps, --cpu-used: CompositionOptions' defaults unless given; --kbps and --cpu-used then apply to every layout)
//   --variants "previous;default;cpu-used=8" [--ssim 1]: every capture with each variant, side by side, and each tile's SSIM against the frames sent;
//   "previous" is the default before issue 12 item 4 (always 1280x720, cpu-used 8, 1 Mbit/s)
//   --explain 1: print each capture's scenes and the FFmpeg command (graph in DIR/graph.txt) instead of composing
var options = ParseArgs(args);
int seconds = int.Parse(options.GetValueOrDefault("seconds", "60"), CultureInfo.InvariantCulture);
var partyCounts = options.GetValueOrDefault("parties", "2,4").Split(',').Select(int.Parse).ToList();
int fps = int.Parse(options.GetValueOrDefault("fps", "30"), CultureInfo.InvariantCulture);
int runs = int.Parse(options.GetValueOrDefault("runs", "1"), CultureInfo.InvariantCulture);
int threads = int.Parse(options.GetValueOrDefault("threads", "1"), CultureInfo.InvariantCulture);
string root = Path.GetFullPath(options.GetValueOrDefault("dir", ".data/bench-recording"));
Directory.CreateDirectory(root);

var composition = new CompositionOptions { FrameRate = fps, Threads = threads, LowPriority = false };
foreach (var key in new[] { "size", "kbps", "cpu-used" })
    if (options.TryGetValue(key, out var value)) composition = Variant(composition, $"{key}={value}");
// --variants "previous;default;cpu-used=16": each capture composed with every variant in turn, run after run (side by
// side in one run of the bench, on the same machine load); a variant overrides the settings above (cpu-used, kbps,
// size, threads, fit).
var variants = options.GetValueOrDefault("variants", "default").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
    .Select(v => (Name: v, Options: Variant(composition, v))).ToList();
bool ssim = options.GetValueOrDefault("ssim", "0") == "1";
foreach (var (name, o) in variants)
    Console.WriteLine($"composition {name}: {(o.FrameToCameras ? $"frame sized to the cameras within {o.Width}x{o.Height} with up to two tiles, VP8 {o.CameraFrameEncoding.BitrateKbps} kbit/s at cpu-used {o.CameraFrameEncoding.CpuUsed}; " : "")}" +
        $"{o.Width}x{o.Height} grid VP8 {o.GridEncoding.BitrateKbps} kbit/s at cpu-used {o.GridEncoding.CpuUsed} (libvpx -deadline realtime); {o.FrameRate} fps, {o.Threads} threads, Opus {o.AudioBitrateKbps} kbit/s mono");
Console.WriteLine($"{"call",-34} {"variant",-14} {"frame, encoder",-28} {"media",7} {"wall",7} {"speed",8} {"CPU",8} {"CPU/min",9} {"cores",6} {"peak RSS",9} {"size",9}{(ssim ? "  SSIM per tile (All/Y) against the frames sent" : "")}");

foreach (int parties in partyCounts)
{
    string capture = Path.Combine(root, $"capture-{parties}p-{seconds}s");
    if (!File.Exists(Path.Combine(capture, TimelineEvent.FileName)))
    {
        Console.Error.WriteLine($"generating a {parties}-party capture of {seconds} s in {capture} (FFmpeg, testsrc2 pictures at 640x480 and 640x360)");
        await SyntheticCapture.WriteAsync(capture, Parties(parties, seconds), end: seconds + 0.05);
    }
    if (options.ContainsKey("explain"))
    {
        // The plan and the FFmpeg command, without running it.
        var model = CaptureReader.Read(capture);
        var plan = CompositionPlan.Build(model, composition);
        Console.WriteLine($"frame {plan.Width}x{plan.Height}, {(plan.SizedToCameras ? "sized to the cameras" : "the grid")}");
        foreach (var scene in plan.Scenes)
            Console.WriteLine($"scene frames {scene.StartFrame}-{scene.EndFrame}: {string.Join(", ", scene.Tiles.Select(t => $"{t.ParticipantId}@{t.Area}{(t.Video is null ? " (name)" : "")}"))}");
        var command = FfmpegCommand.Build(plan, composition, composition.ResolveFont() ?? "font.ttf", root, Path.Combine(root, "graph.txt"), Path.Combine(root, "explained.webm"));
        File.WriteAllText(Path.Combine(root, "graph.txt"), command.FilterGraph);
        foreach (var (path, text) in command.TextFiles) File.WriteAllText(path, text);
        Console.WriteLine("ffmpeg " + string.Join(" ", command.Arguments.Select(a => a.Contains(' ') || a.Contains('[') ? $"'{a}'" : a)));
        Console.WriteLine(command.FilterGraph);
        continue;
    }
    for (int run = 0; run < runs; run++)
        foreach (var (name, variant) in variants)
        {
            string output = Path.Combine(root, $"recording-{parties}p-{Slug(name)}.webm");
            var result = await CallComposer.ComposeAsync(capture, output, variant);
            double media = result.Duration.TotalSeconds, wall = result.Elapsed.TotalSeconds, cpu = result.CpuTime?.TotalSeconds ?? double.NaN;
            string similarity = "";
            var plan = CompositionPlan.Build(CaptureReader.Read(capture), variant);
            var encoding = variant.EncodingFor(plan);
            string settings = $"{plan.Width}x{plan.Height} cpu-used {encoding.CpuUsed} {encoding.BitrateKbps}k{(encoding.StaticThreshold > 0 ? $" st {encoding.StaticThreshold}" : "")}";
            if (ssim)
            {
                var tiles = await Voki.Bench.Recording.TileSimilarity.MeasureAsync(output, plan);
                similarity = "  " + string.Join("  ", tiles.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Participant} {t.Picture}: {t.Ssim:0.0000}/{t.SsimY:0.0000} ({t.Frames} frames)")));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Describe(parties),-34} {name,-14} {settings,-28} {media,6:0.0}s {wall,6:0.0}s {media / wall,7:0.00}x {cpu,7:0.0}s {cpu / (media / 60),8:0.0}s {cpu / wall,6:0.00} {result.PeakMemoryBytes / 1048576.0,7:0}MiB {result.FileSizeBytes / 1048576.0,7:0.0}MiB{similarity}"));
        }
}

static CompositionOptions Variant(CompositionOptions baseline, string variant)
{
    if (variant == "default") return baseline;
    // The default before issue 12 item 4: every recording 1280x720, VP8 at cpu-used 8 and 1 Mbit/s.
    if (variant == "previous") return baseline with { Width = 1280, Height = 720, FrameToCameras = false, GridEncoding = new() { CpuUsed = 8, BitrateKbps = 1000 } };
    var o = baseline;
    foreach (var setting in variant.Split(',', StringSplitOptions.TrimEntries))
    {
        var (key, value) = (setting.Split('=')[0], setting.Split('=')[1]);
        o = key switch
        {
            "cpu-used" => BothLayouts(o, e => e with { CpuUsed = int.Parse(value, CultureInfo.InvariantCulture) }),
            "kbps" => BothLayouts(o, e => e with { BitrateKbps = int.Parse(value, CultureInfo.InvariantCulture) }),
            "static-thresh" => BothLayouts(o, e => e with { StaticThreshold = int.Parse(value, CultureInfo.InvariantCulture) }),
            "fit" => o with { FrameToCameras = value == "1" },
            "threads" => o with { Threads = int.Parse(value, CultureInfo.InvariantCulture) },
            "size" => o with { Width = int.Parse(value.Split('x')[0], CultureInfo.InvariantCulture), Height = int.Parse(value.Split('x')[1], CultureInfo.InvariantCulture) },
            _ => throw new ArgumentException($"unknown setting {key} in variant {variant} (cpu-used, kbps, static-thresh, threads, size, fit)"),
        };
    }
    return o;
}

// A variant's VP8 setting applies to the frame sized to the cameras and to the grid alike.
static CompositionOptions BothLayouts(CompositionOptions o, Func<VideoEncoding, VideoEncoding> change) =>
    o with { CameraFrameEncoding = change(o.CameraFrameEncoding), GridEncoding = change(o.GridEncoding) };

static string Slug(string variant) => string.Concat(variant.Select(c => char.IsLetterOrDigit(c) ? c : '-'));

static string Describe(int parties) => parties switch
{
    2 => "2-party: 2 cameras",
    4 => "4-party: 3 cameras + 1 audio-only",
    3 => "3-party: 2 cameras + 1 audio-only",
    _ => $"{parties}-party",
};

// Who is in the generated calls: an agent and a customer with cameras for the whole call; with 4 parties, a
// supervisor (audio only) is there from 1/6 to 5/6 of the call, and a second customer with a camera joins at 1/3.
static List<SyntheticParty> Parties(int count, int seconds)
{
    var all = new List<SyntheticParty>
    {
        new() { Id = "agent", Name = "Agent Smith", Role = "agent", Join = 0, AudioStart = 0.3, VideoStart = 0.6, VideoSource = "testsrc2", VideoWidth = 640, VideoHeight = 480, VideoKbps = 600 },
        new() { Id = "customer", Name = "Customer", Join = 1.0, AudioStart = 1.4, VideoStart = 1.5, VideoSource = "testsrc2", VideoWidth = 640, VideoHeight = 360, VideoKbps = 500 },
        new() { Id = "supervisor", Name = "Supervisor", Role = "supervisor", Join = seconds / 6.0, Leave = seconds * 5 / 6.0, AudioStart = seconds / 6.0 + 0.3, Beeps = false },
        new() { Id = "guest", Name = "Second customer", Join = seconds / 3.0, AudioStart = seconds / 3.0 + 0.2, VideoStart = seconds / 3.0 + 0.5, VideoSource = "testsrc2", VideoWidth = 640, VideoHeight = 480, VideoKbps = 500 },
    };
    return all.Take(count).ToList();
}

static Dictionary<string, string> ParseArgs(string[] args)
{
    var map = new Dictionary<string, string>();
    for (int i = 0; i + 1 < args.Length; i += 2) map[args[i].TrimStart('-')] = args[i + 1];
    return map;
}
