using System.Globalization;
using System.Text;

namespace Voki.Media.Recording;

/// <summary>
/// The one FFmpeg command that composes a <see cref="CompositionPlan"/> into WebM (VP8 + Opus): its argument list
/// (run without a shell), the filter graph (given to FFmpeg as a file, -filter_complex_script, since a long call's
/// graph can outgrow one argument) and the text files holding participants' names (drawtext reads them: a name
/// is never parsed as filter syntax).
///
/// Video: one canvas for the whole recording, with name tiles drawn where and when they show, on which each video
/// track is overlaid once: placed on the recording's timeline (setpts), scaled to its letterboxed picture of the
/// moment (scale with eval=frame) and positioned and enabled by expressions of time. Everything flows in time
/// order through one chain, so memory stays flat however long the call (a graph per scene, joined by concat, lets
/// FFmpeg's frame sync pull shared decoders ahead and queue frames by the second). Audio: each track is shifted to
/// its start (asetpts), its gaps filled and overlaps cut (aresample async, first_pts), delayed with silence to its
/// start (adelay) and all are mixed at unit gain.
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

    /// <param name="videoFiles">A video track's frames fitted to the output frames (<see cref="RetimedVideo"/>), read instead of its capture file.</param>
    public static FfmpegCommand Build(CompositionPlan plan, CompositionOptions options, string fontFile, string workDirectory, string filterScriptPath, string outputPath,
        IReadOnlyDictionary<CapturedTrack, string>? videoFiles = null)
    {
        var args = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "level+info", "-nostats", "-benchmark", "-copyts",
            "-filter_complex_threads", Int(options.Threads) };
        // Every input's decoder is bounded too (-threads before -i): the composition's threads are its CPU budget.
        string[] decoderThreads = ["-threads", Int(options.Threads)];
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
            args.AddRange([.. decoderThreads, "-reinit_filter", "0", "-f", "ivf", "-i", videoFiles?.GetValueOrDefault(track) ?? InputUrl(track)]);
        }
        var audioInputs = new List<(CapturedTrack Track, int Input)>();
        foreach (var track in plan.AudioTracks)
        {
            audioInputs.Add((track, videoInput.Count + audioInputs.Count));
            args.AddRange([.. decoderThreads, "-f", "ogg", "-i", InputUrl(track)]);
        }

        // One canvas for the whole recording: name tiles drawn where and when they show.
        var canvas = new List<string>
        {
            $"color=c={Background}:s={plan.Width}x{plan.Height}:r={fps}",
            $"trim=end_frame={plan.FrameCount}",
            "format=yuv420p",
        };
        foreach (var group in Showings(plan, video: false))
        {
            var (tile, area, windows) = group;
            var box = Inset(area, 2);
            canvas.Add($"drawbox=x={box.X}:y={box.Y}:w={box.Width}:h={box.Height}:color={TileColors[tile.ColorIndex % TileColors.Count]}:t=fill:enable='{Windows(windows, fps)}'");
            canvas.Add($"drawtext=fontfile={font}:textfile={EscapeValue(NameFile(tile, workDirectory, textFiles))}:expansion=none:fontcolor=white:fontsize={NameFontSize(tile.Name, box)}" +
                       $":x={box.X}+({box.Width}-text_w)/2:y={box.Y}+({box.Height}-text_h)/2:enable='{Windows(windows, fps)}'");
        }
        string current = "canvas";
        graph.Append(string.Join(",", canvas)).Append($"[{current}];\n");

        // Each video track once, on the recording's timeline, scaled to its picture of the moment and overlaid
        // where and when it shows. Scale sees the track's frame times, overlay the output's: both switch at the
        // same half-frame instants, so the frame shown after a layout change already has its new size.
        foreach (var (track, input) in videoInput)
        {
            var pieces = plan.Scenes.Select(s => (s.StartFrame, s.EndFrame, Tile: s.Tiles.FirstOrDefault(t => t.Video == track)))
                .Where(x => x.Tile is not null).Select(x => (x.StartFrame, x.EndFrame, x.Tile!.Picture)).ToList();
            string x = Piecewise(pieces.Select(p => (p.StartFrame, p.Picture.X)).ToList(), fps, out _);
            string y = Piecewise(pieces.Select(p => (p.StartFrame, p.Picture.Y)).ToList(), fps, out _);
            string picture = $"v{input}", next = $"o{input}";
            graph.Append($"[{input}:v]setpts=PTS{Scaled(track)}{Signed(track.StartMs / 1000.0)}/TB,trim=end={Sec(duration)},")
                 .Append(Resizing(pieces.Select(p => (p.StartFrame, p.Picture)).ToList(), $"scale@{picture}", fps))
                 .Append($",setsar=1[{picture}];\n");
            graph.Append($"[{current}][{picture}]overlay=x='{x}':y='{y}':eof_action=pass:enable='{Windows(pieces.Select(p => (p.StartFrame, p.EndFrame)), fps)}'[{next}];\n");
            current = next;
        }

        // Names under the pictures.
        var captions = Showings(plan, video: true).Select(group =>
        {
            var (tile, p, windows) = group;
            int size = Math.Clamp(p.Height / 14, 10, 28);
            return $"drawtext=fontfile={font}:textfile={EscapeValue(NameFile(tile, workDirectory, textFiles))}:expansion=none:fontcolor=white:fontsize={size}" +
                   $":box=1:boxcolor=black@0.5:boxborderw={Math.Max(2, size / 4)}:x={p.X + size / 2}:y={p.Bottom - size / 2}-text_h:enable='{Windows(windows, fps)}'";
        }).ToList();
        graph.Append($"[{current}]{string.Concat(captions.Select(c => c + ","))}setsar=1,format=yuv420p[vout];\n");

        string layout = options.AudioChannels == 1 ? "mono" : "stereo";
        foreach (var (track, input) in audioInputs)
        {
            double startSeconds = track.StartMs / 1000.0;
            long startSample = Math.Max(0, (long)Math.Round(startSeconds * 48000));
            // On a drifting clock the timestamps are stretched to the sender's wall clock; aresample then pads or trims
            // the samples to them whenever they part by more than 20 ms.
            // Only the part of the file within the call (CaptureReader clamps the track): a timestamp jump beyond
            // it would otherwise become hours of silence for aresample to fill.
            double fileSeconds = (track.EndMs - track.StartMs) / 1000.0 / track.ClockScale;
            graph.Append($"[{input}:a]atrim=end={Sec(fileSeconds + 1.0 / fps)},asetpts=PTS{Scaled(track)}{Signed(startSeconds)}/TB,")
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
        var encoding = options.EncodingFor(plan);
        args.AddRange(["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", Int(encoding.CpuUsed),
            "-b:v", $"{encoding.BitrateKbps}k", "-static-thresh", Int(encoding.StaticThreshold), "-g", Int(options.KeyFrameIntervalSeconds * fps), "-auto-alt-ref", "0", "-lag-in-frames", "0",
            "-threads", Int(options.Threads), "-r", Int(fps)]);
        args.AddRange(["-c:a", "libopus", "-b:a", $"{options.AudioBitrateKbps}k", "-application", "voip"]);
        args.AddRange(["-max_muxing_queue_size", "4096", "-progress", "pipe:1", "-f", "webm", "-y", outputPath]);
        return new FfmpegCommand { Arguments = args, FilterGraph = graph.ToString(), TextFiles = textFiles };
    }

    /// <summary>
    /// Where each participant shows as a name tile (<paramref name="video"/> false, by tile area) or as a picture
    /// (true, by picture rectangle), with the frame ranges of each.
    /// </summary>
    private static IEnumerable<(SceneTile Tile, Rect Area, List<(long, long)> Windows)> Showings(CompositionPlan plan, bool video) =>
        plan.Scenes
            .SelectMany(s => s.Tiles.Where(t => (t.Video is not null) == video).Select(t => (Scene: s, Tile: t, Area: video ? t.Picture : t.Area)))
            .GroupBy(x => (x.Tile.ParticipantId, x.Area))
            .Select(g => (g.First().Tile, g.Key.Area, g.Select(x => (x.Scene.StartFrame, x.Scene.EndFrame)).ToList()));

    /// <summary>
    /// A timeline expression true on the given frame ranges. Ranges are cut at half-frame instants, which no frame
    /// time can round onto; adjacent ranges are merged; the terms are summed, so any number of them parses.
    /// </summary>
    internal static string Windows(IEnumerable<(long Start, long End)> frames, int fps)
    {
        var merged = new List<(long Start, long End)>();
        foreach (var (start, end) in frames.OrderBy(f => f.Start))
        {
            if (merged.Count > 0 && merged[^1].End >= start) merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, end));
            else merged.Add((start, end));
        }
        return string.Join("+", merged.Select(w => $"between(t,{Half(w.Start, fps)},{Half(w.End, fps)})"));
    }

    /// <summary>
    /// A value that changes at given frames, as an expression of t: v0 + (v1 − v0)·gte(t, b1) + ... — flat, since
    /// FFmpeg's expression parser limits nesting depth. The value before the first change is the first one.
    /// </summary>
    internal static string Piecewise(IReadOnlyList<(long Frame, int Value)> changes, int fps, out bool varies)
    {
        var steps = new List<(long Frame, int Value)>();
        foreach (var c in changes.OrderBy(c => c.Frame))
            if (steps.Count == 0 || steps[^1].Value != c.Value) steps.Add(c);
        varies = steps.Count > 1;
        if (steps.Count == 0) return "0";
        var sb = new StringBuilder(Int(steps[0].Value));
        for (int i = 1; i < steps.Count; i++)
        {
            int delta = steps[i].Value - steps[i - 1].Value;
            sb.Append(delta >= 0 ? "+" : "-").Append(Int(Math.Abs(delta))).Append($"*gte(t,{Half(steps[i].Frame, fps)})");
        }
        return sb.ToString();
    }

    /// <summary>
    /// Scale to the first size, and to each next one from its frame on (sendcmd, at the same half-frame instants
    /// as the overlay's position). Not scale's eval=frame: that rebuilds the scaler for every frame, which doubles
    /// the composition's CPU.
    /// </summary>
    internal static string Resizing(IReadOnlyList<(long Frame, Rect Picture)> pieces, string scaleName, int fps)
    {
        var sizes = new List<(long Frame, int W, int H)>();
        foreach (var (frame, r) in pieces.OrderBy(p => p.Frame))
            if (sizes.Count == 0 || (sizes[^1].W, sizes[^1].H) != (r.Width, r.Height)) sizes.Add((frame, r.Width, r.Height));
        string scale = $"{scaleName}=w={sizes[0].W}:h={sizes[0].H}";
        if (sizes.Count == 1) return scale;
        var commands = sizes.Skip(1).Select(z => $"{Half(z.Frame, fps)} {scaleName} w {z.W}, {scaleName} h {z.H};");
        return $"sendcmd=c='{string.Join(" ", commands)}',{scale}";
    }

    /// <summary>The factor that puts a track's media time on its sender's wall clock (<see cref="CapturedTrack.ClockScale"/>), if any.</summary>
    private static string Scaled(CapturedTrack track) =>
        Math.Abs(track.ClockScale - 1) < 1e-7 ? "" : "*" + track.ClockScale.ToString("0.#########", CultureInfo.InvariantCulture);

    /// <summary>The instant half a frame before frame <paramref name="frame"/>, in seconds.</summary>
    private static string Half(long frame, int fps) => Sec(Math.Max(0, (frame - 0.5) / fps));

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
