using System.Globalization;
using System.Text;

namespace Voki.Media.Recording;

/// <summary>
/// The one FFmpeg command that composes a <see cref="CompositionPlan"/> into WebM (VP8 + Opus): its argument list
/// (run without a shell), the filter graph (given to FFmpeg as a file, -filter_complex_script, since a long call's
/// graph can outgrow one argument) and the text files holding participants' names (drawtext reads them: a name
/// is never parsed as filter syntax).
///
/// Video: every scene is a coloured canvas with name tiles, on which the scene's video tiles are overlaid, each
/// trimmed from its track (placed on the recording's timeline with setpts) and scaled to its letterboxed picture;
/// the scenes are concatenated. Audio: each track is shifted to its start (asetpts), its gaps filled and overlaps
/// cut (aresample async, first_pts), delayed with silence to its start (adelay) and all are mixed at unit gain.
/// Input timestamps are kept as they are in the files (-copyts): RTP-relative pts, which the placement needs.
/// </summary>
public sealed record FfmpegCommand
{
    public required IReadOnlyList<string> Arguments { get; init; }
    public required string FilterGraph { get; init; }

    /// <summary>Files (full path → UTF-8 text) that must exist while FFmpeg runs.</summary>
    public required IReadOnlyDictionary<string, string> TextFiles { get; init; }

    /// <summary>The colours of name tiles, by join order.</summary>
    public static readonly IReadOnlyList<string> TileColors = ["0x3a5a8c", "0x2e7d5b", "0x8c5a2e", "0x6a3d8c", "0x8c2e4a", "0x2e6f8c", "0x7a7a2e", "0x4a4a4a"];

    public const string Background = "0x000000";

    /// <summary>Video frames taken before a scene starts, so that its first frame has a picture even for slow senders.</summary>
    private const double PreRollSeconds = 1.0;

    public static FfmpegCommand Build(CompositionPlan plan, CompositionOptions options, string fontFile, string workDirectory, string filterScriptPath, string outputPath)
    {
        var args = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "level+info", "-nostats", "-benchmark", "-copyts" };
        var graph = new StringBuilder();
        var textFiles = new Dictionary<string, string>();
        int fps = plan.FrameRate;
        double duration = plan.FrameCount / (double)fps;
        string font = EscapeValue(fontFile);

        // Inputs: the video tracks shown, then every audio track. A torn file is read up to its last complete frame or page.
        var videoInput = new Dictionary<CapturedTrack, int>();
        foreach (var track in plan.VideoTracks)
        {
            videoInput[track] = videoInput.Count;
            args.AddRange(["-reinit_filter", "0", "-f", "ivf", "-i", InputUrl(track)]);
        }
        var audioInputs = new List<(CapturedTrack Track, int Input)>();
        foreach (var track in plan.AudioTracks)
        {
            audioInputs.Add((track, videoInput.Count + audioInputs.Count));
            args.AddRange(["-f", "ogg", "-i", InputUrl(track)]);
        }

        // Each video track on the recording's timeline, split once per scene that shows it.
        var uses = plan.Scenes.SelectMany((s, k) => s.Tiles.Where(t => t.Video is not null).Select(t => (Scene: k, t.Video))).ToList();
        var branch = new Dictionary<(int Scene, CapturedTrack Track), string>();
        foreach (var (track, input) in videoInput)
        {
            var scenes = uses.Where(u => u.Video == track).Select(u => u.Scene).Distinct().ToList();
            var labels = scenes.Select(k => $"v{input}s{k}").ToList();
            for (int i = 0; i < scenes.Count; i++) branch[(scenes[i], track)] = labels[i];
            graph.Append($"[{input}:v]setpts=PTS{Signed(track.StartMs / 1000.0)}/TB");
            graph.Append(labels.Count == 1 ? $"[{labels[0]}];\n" : $",split={labels.Count}{string.Concat(labels.Select(l => $"[{l}]"))};\n");
        }

        for (int k = 0; k < plan.Scenes.Count; k++)
        {
            var scene = plan.Scenes[k];
            double start = scene.StartFrame / (double)fps, end = scene.EndFrame / (double)fps;
            var chain = new List<string>
            {
                $"color=c={Background}:s={plan.Width}x{plan.Height}:r={fps}",
                $"trim=end_frame={scene.FrameCount}",
                "format=yuv420p",
            };
            foreach (var tile in scene.Tiles.Where(t => t.Video is null))
            {
                var box = Inset(tile.Area, 2);
                string nameFile = NameFile(tile, workDirectory, textFiles);
                int size = NameFontSize(tile.Name, box);
                chain.Add($"drawbox=x={box.X}:y={box.Y}:w={box.Width}:h={box.Height}:color={TileColors[tile.ColorIndex % TileColors.Count]}:t=fill");
                chain.Add($"drawtext=fontfile={font}:textfile={EscapeValue(nameFile)}:expansion=none:fontcolor=white:fontsize={size}" +
                          $":x={box.X}+({box.Width}-text_w)/2:y={box.Y}+({box.Height}-text_h)/2");
            }
            string current = $"b{k}";
            graph.Append(string.Join(",", chain)).Append($"[{current}];\n");

            int n = 0;
            foreach (var tile in scene.Tiles.Where(t => t.Video is not null))
            {
                var p = tile.Picture;
                string picture = $"p{k}_{n}", next = $"b{k}_{n}";
                graph.Append($"[{branch[(k, tile.Video!)]}]trim=start={Sec(Math.Max(0, start - PreRollSeconds))}:end={Sec(end)},setpts=PTS-{Sec(start)}/TB,")
                     .Append($"scale={p.Width}:{p.Height},setsar=1[{picture}];\n");
                graph.Append($"[{current}][{picture}]overlay=x={p.X}:y={p.Y}:eof_action=pass[{next}];\n");
                current = next;
                n++;
            }
            // Names under the pictures.
            var captions = scene.Tiles.Where(t => t.Video is not null).Select(tile =>
            {
                var p = tile.Picture;
                int size = Math.Clamp(p.Height / 14, 10, 28);
                return $"drawtext=fontfile={font}:textfile={EscapeValue(NameFile(tile, workDirectory, textFiles))}:expansion=none:fontcolor=white:fontsize={size}" +
                       $":box=1:boxcolor=black@0.5:boxborderw={Math.Max(2, size / 4)}:x={p.X + size / 2}:y={p.Bottom - size / 2}-text_h";
            }).ToList();
            graph.Append($"[{current}]{(captions.Count > 0 ? string.Join(",", captions) + "," : "")}setsar=1[s{k}];\n");
        }

        graph.Append(string.Concat(Enumerable.Range(0, plan.Scenes.Count).Select(k => $"[s{k}]")));
        graph.Append(plan.Scenes.Count == 1 ? "format=yuv420p[vout];\n" : $"concat=n={plan.Scenes.Count}:v=1:a=0,format=yuv420p[vout];\n");

        string layout = options.AudioChannels == 1 ? "mono" : "stereo";
        foreach (var (track, input) in audioInputs)
        {
            double startSeconds = track.StartMs / 1000.0;
            long startSample = Math.Max(0, (long)Math.Round(startSeconds * 48000));
            graph.Append($"[{input}:a]asetpts=PTS{Signed(startSeconds)}/TB,")
                 .Append($"aresample=48000:async=1:min_hard_comp=0.020:first_pts={startSample},")
                 .Append($"aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts={layout}")
                 .Append(startSample > 0 ? $",adelay=delays={startSample}S:all=1" : "")
                 .Append($"[a{input}];\n");
        }
        string tail = $"asetpts=N/SR/TB,apad=whole_dur={Sec(duration)},atrim=end={Sec(duration)},aformat=sample_fmts=flt:sample_rates=48000:channel_layouts={layout}[aout]";
        if (audioInputs.Count == 0)
            graph.Append($"anullsrc=r=48000:cl={layout},{tail}\n");
        else if (audioInputs.Count == 1)
            graph.Append($"[a{audioInputs[0].Input}]{tail}\n");
        else
            graph.Append(string.Concat(audioInputs.Select(a => $"[a{a.Input}]")))
                 .Append($"amix=inputs={audioInputs.Count}:duration=longest:dropout_transition=0:normalize=0,{tail}\n");

        args.AddRange(["-filter_complex_script", filterScriptPath, "-map", "[vout]", "-map", "[aout]"]);
        args.AddRange(["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", Int(options.VpxCpuUsed),
            "-b:v", $"{options.VideoBitrateKbps}k", "-g", Int(options.KeyFrameIntervalSeconds * fps), "-auto-alt-ref", "0", "-lag-in-frames", "0",
            "-threads", Int(options.Threads), "-r", Int(fps)]);
        args.AddRange(["-c:a", "libopus", "-b:a", $"{options.AudioBitrateKbps}k", "-application", "voip"]);
        args.AddRange(["-max_muxing_queue_size", "4096", "-progress", "pipe:1", "-f", "webm", "-y", outputPath]);
        return new FfmpegCommand { Arguments = args, FilterGraph = graph.ToString(), TextFiles = textFiles };
    }

    /// <summary>A track's file, or the part of it before a torn last frame or page (FFmpeg's subfile protocol).</summary>
    private static string InputUrl(CapturedTrack track) =>
        track.Torn ? $"subfile,,start,0,end,{track.ReadableBytes},,:{track.FilePath}" : track.FilePath;

    private static string NameFile(SceneTile tile, string workDirectory, Dictionary<string, string> files)
    {
        string path = Path.Combine(workDirectory, $"name-{tile.ColorIndex}.txt");
        files[path] = Printable(tile.Name);
        return path;
    }

    private static string Printable(string name)
    {
        var clean = new string(name.Where(c => !char.IsControl(c)).ToArray()).Trim();
        if (clean.Length > 40) clean = clean[..39] + "…";
        return clean.Length == 0 ? "?" : clean;
    }

    /// <summary>Large enough to read, small enough that the name fits the tile (DejaVu Sans averages ~0.6 em a character).</summary>
    internal static int NameFontSize(string name, Rect box)
    {
        int length = Math.Max(4, Printable(name).Length);
        return Math.Clamp(Math.Min(box.Height / 7, (int)(box.Width * 0.85 / (0.62 * length))), 8, 72);
    }

    private static Rect Inset(Rect r, int by) => new(r.X + by, r.Y + by, Math.Max(2, r.Width - 2 * by), Math.Max(2, r.Height - 2 * by));

    /// <summary>
    /// An option value inside a filter graph: escaped for the option parser (\ ' :), then for the graph parser
    /// (\ ' [ ] , ;), as FFmpeg's "Notes on filtergraph escaping" describe.
    /// </summary>
    internal static string EscapeValue(string value)
    {
        static string Escape(string s, string special)
        {
            var sb = new StringBuilder(s.Length + 8);
            foreach (var c in s)
            {
                if (special.Contains(c)) sb.Append('\\');
                sb.Append(c);
            }
            return sb.ToString();
        }
        return Escape(Escape(value, "\\':"), "\\'[],;");
    }

    private static string Sec(double seconds) => seconds.ToString("0.######", CultureInfo.InvariantCulture);
    private static string Signed(double seconds) => (seconds < 0 ? "-" : "+") + Sec(Math.Abs(seconds));
    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}
