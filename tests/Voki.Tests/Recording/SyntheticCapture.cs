using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Voki.Media.Recording;

namespace Voki.Tests.Recording;

/// <summary>
/// One participant of a generated capture. Times are seconds of the call from <see cref="SyntheticCapture.T0"/> (the
/// node's clock). The participant's "source time" 0 is the instant their first media sample was taken (audio's, or
/// video's without audio): beeps and flashes happen at every whole second of source time, both at once, so a
/// recording in sync shows each flash with its beep.
/// </summary>
public sealed record SyntheticParty
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string Role { get; init; } = "customer";
    public required double Join { get; init; }
    public double? Leave { get; init; }

    /// <summary>When the first audio / video sample was taken (null: no such track).</summary>
    public double? AudioStart { get; init; }
    public double? VideoStart { get; init; }

    /// <summary>When the media stops (default: the leave).</summary>
    public double? MediaEnd { get; init; }

    public string VideoColor { get; init; } = "0x3060a0";

    /// <summary>A lavfi video source with motion (e.g. testsrc2) instead of the plain <see cref="VideoColor"/>.</summary>
    public string? VideoSource { get; init; }
    public int VideoWidth { get; init; } = 320;
    public int VideoHeight { get; init; } = 240;
    public int VideoKbps { get; init; } = 300;

    /// <summary>From these seconds of the video on, its frames have this size (a key frame each time), as when a sender
    /// adapts its resolution or a phone turns.</summary>
    public IReadOnlyList<(double At, int Width, int Height)> VideoSizeChanges { get; init; } = [];
    public bool Flashes { get; init; } = true;
    /// <summary>Every odd frame white (instead of the flashes), so each picture the composer loses shows.</summary>
    public bool AlternatingFrames { get; init; }
    /// <summary>Every frame after the first stamped up to this much early or late (uniform, the same each run): a capture clock's jitter.</summary>
    public double FrameJitter { get; init; }

    /// <summary>A 1 kHz beep of 100 ms at amplitude 0.5 each second; otherwise a steady 300 Hz tone at <see cref="ToneAmplitude"/>.</summary>
    public bool Beeps { get; init; } = true;
    public double ToneAmplitude { get; init; } = 0.05;
    public int AudioChannels { get; init; } = 1;

    /// <summary>Stretches of source time (s) when the microphone sent nothing (DTX, mute): their pages are left out of
    /// the Ogg file, and the pages after keep their granules, so the file jumps in time as the SFU's would.</summary>
    public IReadOnlyList<(double From, double To)> AudioDropouts { get; init; } = [];

    /// <summary>How much faster than nominal each track's RTP clock runs (0.001: 0.1 %), as capture devices' crystals do.
    /// The files carry the drifting media time; the sender reports map it to the sender's true wall clock.</summary>
    public double AudioClockDrift { get; init; }
    public double VideoClockDrift { get; init; }

    /// <summary>Send RTCP sender reports (one per second per track).</summary>
    public bool SenderReports { get; init; } = true;

    /// <summary>The sender's wall clock minus the node's (ms).</summary>
    public long SenderClockOffsetMs { get; init; } = -10_800_000 + 1234;
    public double NetworkDelay { get; init; } = 0.040;

    /// <summary>How much later than its network delay the first video packet arrives (encoder start-up, pacing).</summary>
    public double VideoArrivalLate { get; init; } = 0.300;

    public uint AudioSsrc { get; init; }
    public uint VideoSsrc { get; init; }
    public uint AudioFirstRtp { get; init; } = 1_000_000;
    public uint VideoFirstRtp { get; init; } = 4_294_900_000; // wraps within a few seconds

    public double SourceZero => AudioStart ?? VideoStart ?? Join;
}

/// <summary>Writes a capture directory as the SFU would: media encoded by FFmpeg (lavfi sources), IVF rewritten to
/// 90 kHz pts from the first RTP timestamp, Ogg Opus, and timeline.jsonl.</summary>
public static class SyntheticCapture
{
    public const long T0 = 1_780_000_000_000;

    public static async Task WriteAsync(string directory, IReadOnlyList<SyntheticParty> parties, double? end, CancellationToken ct = default)
    {
        Directory.CreateDirectory(directory);
        var events = new List<TimelineEvent> { new() { Type = "call", At = Ms(0) } };
        uint ssrc = 1000;
        foreach (var p in parties)
        {
            events.Add(new() { Type = "join", At = Ms(p.Join), Participant = p.Id, Name = p.Name, Role = p.Role });
            if (p.Leave is { } leave) events.Add(new() { Type = "leave", At = Ms(leave), Participant = p.Id });
            double mediaEnd = p.MediaEnd ?? p.Leave ?? end ?? throw new ArgumentException("media end");
            if (p.AudioStart is { } audioStart)
            {
                string file = $"{p.Id}-audio.ogg";
                uint s = p.AudioSsrc != 0 ? p.AudioSsrc : ssrc++;
                await EncodeAudioAsync(Path.Combine(directory, file), p, mediaEnd - audioStart, audioStart - p.SourceZero, ct);
                events.Add(Track(p, "audio", file, s, p.AudioFirstRtp, 48000, audioStart + p.NetworkDelay));
                if (p.SenderReports) events.AddRange(Reports(p, s, p.AudioFirstRtp, 48000 * (1 + p.AudioClockDrift), audioStart, mediaEnd, 0.003));
            }
            if (p.VideoStart is { } videoStart)
            {
                string file = $"{p.Id}-video.ivf";
                uint s = p.VideoSsrc != 0 ? p.VideoSsrc : ssrc++;
                await EncodeVideoAsync(Path.Combine(directory, file), p, mediaEnd - videoStart, videoStart - p.SourceZero, ct);
                events.Add(Track(p, "video", file, s, p.VideoFirstRtp, 90000, videoStart + p.NetworkDelay + p.VideoArrivalLate));
                if (p.SenderReports) events.AddRange(Reports(p, s, p.VideoFirstRtp, 90000 * (1 + p.VideoClockDrift), videoStart, mediaEnd, 0.021));
            }
        }
        if (end is { } e) events.Add(new() { Type = "end", At = Ms(e) });
        await File.WriteAllLinesAsync(Path.Combine(directory, TimelineEvent.FileName),
            events.OrderBy(x => x.At).Select(x => JsonSerializer.Serialize(x, TimelineEvent.Json)), ct);
    }

    private static long Ms(double seconds) => T0 + (long)Math.Round(seconds * 1000);

    private static TimelineEvent Track(SyntheticParty p, string kind, string file, uint ssrc, uint firstRtp, int rate, double arrival) => new()
    {
        Type = "track", At = Ms(arrival), Participant = p.Id, Kind = kind, File = file, Ssrc = ssrc, ClockRate = rate, FirstRtp = firstRtp,
    };

    /// <summary>One SR a second; each arrives after the network delay plus some jitter.</summary>
    private static IEnumerable<TimelineEvent> Reports(SyntheticParty p, uint ssrc, uint firstRtp, double rate, double start, double end, double jitter)
    {
        int k = 0;
        for (double t = start + 0.5; t < end; t += 1.0, k++)
            yield return new TimelineEvent
            {
                Type = "sr", At = Ms(t + p.NetworkDelay + jitter * (k % 3)), Ssrc = ssrc,
                Rtp = unchecked(firstRtp + (uint)Math.Round((t - start) * rate)),
                NtpMs = Ms(t) + p.SenderClockOffsetMs,
            };
    }

    private static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>VP8 in IVF at 30 fps; white for one frame whenever source time is a whole second.</summary>
    public static async Task EncodeVideoAsync(string path, SyntheticParty p, double seconds, double sourceOffset, CancellationToken ct)
    {
        var cuts = p.VideoSizeChanges.Where(c => c.At > 0 && c.At < seconds).OrderBy(c => c.At).ToList();
        var parts = new List<(int FirstFrame, int Frames, int Width, int Height)>();
        int total = (int)Math.Round(seconds * 30), first = 0, width = p.VideoWidth, height = p.VideoHeight;
        foreach (var (at, w, h) in cuts.Append((seconds, 0, 0)))
        {
            int end = (int)Math.Round(at * 30);
            if (end > first) parts.Add((first, end - first, width, height));
            (first, width, height) = (end, w, h);
        }
        var files = new List<string>();
        foreach (var (firstFrame, frames, w, h) in parts)
        {
            // Frame n of this part is frame firstFrame + n of the video, at source time sourceOffset + (firstFrame + n) / 30.
            int phase = (((int)Math.Round(sourceOffset * 30) + firstFrame) % 30 + 30) % 30;
            string flash = p.AlternatingFrames ? $",drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='eq(mod(n+{phase}\\,2)\\,1)'"
                : p.Flashes ? $",drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='eq(mod(n+{phase}\\,30)\\,0)'" : "";
            string source = p.VideoSource is { } src ? $"{src}=s={w}x{h}:r=30" : $"color=c={p.VideoColor}:s={w}x{h}:r=30";
            string raw = $"{path}.{files.Count}.ivf";
            await RunAsync(["-f", "lavfi", "-i", source + flash, "-frames:v", frames.ToString(CultureInfo.InvariantCulture),
                "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", $"{p.VideoKbps}k", "-g", "60", "-f", "ivf", raw], ct);
            files.Add(raw);
        }
        JoinIvfAt90kHz(files, parts.Select(x => x.FirstFrame).ToList(), path, 1 + p.VideoClockDrift, (long)Math.Round(p.FrameJitter * 90000));
        foreach (var f in files) File.Delete(f);
    }

    /// <summary>
    /// FFmpeg's IVF carries the encoder's 1/30 time base; the SFU's carries 90 kHz RTP time from the first packet.
    /// Joins IVF files (each starting at the given frame of 30 fps) into one such file; the header keeps the first size.
    /// </summary>
    /// <param name="clockRate">The sender's RTP clock in nominal ticks per true tick (1 + drift).</param>
    /// <param name="jitter">Ticks, at most, by which every frame after the first is stamped early or late.</param>
    public static void JoinIvfAt90kHz(IReadOnlyList<string> sources, IReadOnlyList<int> firstFrames, string destination, double clockRate = 1, long jitter = 0)
    {
        using var output = new MemoryStream();
        var random = new Random(7);
        for (int k = 0; k < sources.Count; k++)
        {
            var bytes = File.ReadAllBytes(sources[k]);
            int num = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(20)), den = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16));
            int at = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(6));
            if (k == 0)
            {
                var header = bytes.AsSpan(0, at).ToArray();
                BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 90000);
                BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), 1);
                BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(24), 0); // a live writer does not know the frame count
                output.Write(header);
            }
            while (at + IvfFile.FrameHeaderSize <= bytes.Length)
            {
                int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at));
                long frameNumber = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at + 4)) * 30L * num / den + firstFrames[k];
                long pts = (long)Math.Round((BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at + 4)) * 90000L * num / den + firstFrames[k] * 3000L) * clockRate)
                    + (frameNumber > 0 ? random.NextInt64(-jitter, jitter + 1) : 0);
                var frame = bytes.AsSpan(at, IvfFile.FrameHeaderSize + size).ToArray();
                BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(4), pts);
                output.Write(frame);
                at += IvfFile.FrameHeaderSize + size;
            }
        }
        File.WriteAllBytes(destination, output.ToArray());
    }

    /// <summary>Opus in Ogg; beeps at whole seconds of source time, or a steady quiet tone.</summary>
    public static async Task EncodeAudioAsync(string path, SyntheticParty p, double seconds, double sourceOffset, CancellationToken ct)
    {
        // A fast sample clock packs more than 48000 samples into each true second: the beeps come every 1 + drift s of file time.
        double rate = 1 + p.AudioClockDrift;
        string expr = p.Beeps
            ? $"0.5*sin(2*PI*1000*t)*lt(mod(t/{F(rate)}+{F(sourceOffset)}\\,1)\\,0.1)"
            : $"{F(p.ToneAmplitude)}*sin(2*PI*300*t)";
        string channels = p.AudioChannels == 2 ? $"{expr}|{expr}" : expr;
        await RunAsync(["-f", "lavfi", "-i", $"aevalsrc='{channels}':s=48000:d={F(seconds * rate)}",
            "-c:a", "libopus", "-b:a", "32k", "-page_duration", "100000", "-f", "ogg", path], ct);
        if (p.AudioDropouts.Count > 0)
            DropOggPages(path, p.AudioDropouts.Select(d => (d.From - sourceOffset, d.To - sourceOffset)).ToList());
    }

    /// <summary>Leaves out the audio pages lying wholly inside the stretches (s of the file's time), renumbering the rest.</summary>
    public static void DropOggPages(string path, IReadOnlyList<(double From, double To)> stretches)
    {
        var bytes = File.ReadAllBytes(path);
        int preSkip = 0;
        long previousGranule = 0;
        uint sequence = 0;
        using var output = new MemoryStream();
        for (int at = 0, index = 0; at < bytes.Length; index++)
        {
            int segments = bytes[at + 26], body = 0;
            for (int i = 0; i < segments; i++) body += bytes[at + 27 + i];
            var page = bytes.AsSpan(at, 27 + segments + body).ToArray();
            at += page.Length;
            long granule = BinaryPrimitives.ReadInt64LittleEndian(page.AsSpan(6));
            if (index == 0) preSkip = BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(27 + segments + 10));
            double start = (previousGranule - preSkip) / 48000.0, end = (granule - preSkip) / 48000.0;
            if (granule != -1) previousGranule = granule;
            if (index >= 2 && stretches.Any(s => start >= s.From && end <= s.To)) continue;
            BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(18), sequence++);
            BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(22), 0);
            BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(22), OggCrc.Compute(page));
            output.Write(page);
        }
        File.WriteAllBytes(path, output.ToArray());
    }

    /// <summary>Cuts the last bytes off a file, as a node that died mid-write leaves it.</summary>
    public static void Tear(string path, int bytes)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
        f.SetLength(f.Length - bytes);
    }

    private static async Task RunAsync(string[] args, CancellationToken ct)
    {
        var run = await FfmpegProcess.RunAsync("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "level+error", "-y", .. args], TimeSpan.FromMinutes(5), null, false, ct);
        if (run.ExitCode != 0) throw new InvalidOperationException($"ffmpeg {string.Join(' ', args)}: {run.Reason}");
    }
}
