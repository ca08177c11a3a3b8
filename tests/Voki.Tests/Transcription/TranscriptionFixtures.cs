using System.Diagnostics;
using System.Text.Json;
using Voki.Media.Recording;

namespace Voki.Tests.Transcription;

/// <summary>
/// Whisper work takes whole cores for seconds: these classes run on their own, after the parallel ones, so they never
/// starve the browser and media tests of CPU (nor those them).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WhisperCollection
{
    public const string Name = "whisper";
}

/// <summary>The data fixtures in tests/fixtures (copied next to the test assembly) and the models made from them.</summary>
public static class TranscriptionFixtures
{
    public static string File(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "fixtures", .. parts]);

    /// <summary>whisper.cpp's header-only multilingual tiny model: real vocabulary and mel filters, no weights; it transcribes nothing, fast.</summary>
    public static string HeaderOnlyModel => File("whisper", "for-tests-ggml-tiny.bin");

    /// <summary>11 s of real speech, 16 kHz mono.</summary>
    public static string Jfk => File("audio", "jfk.wav");

    public const string JfkText = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.";

    private static readonly object Generating = new();

    /// <summary>
    /// A full-size model of the given shape with random weights (tests/fixtures/whisper/synthesize_model.py), made once
    /// per machine in the temp directory: real compute and memory, meaningless words. Skips the test without python3.
    /// </summary>
    public static string SyntheticModel(string size = "tiny")
    {
        var generator = File("whisper", "synthesize_model.py");
        var stamp = $"{new FileInfo(generator).Length}-{new FileInfo(HeaderOnlyModel).Length}";
        var target = Path.Combine(Path.GetTempPath(), "voki-whisper-models", $"synthetic-{size}-{stamp}.bin");
        lock (Generating)
        {
            if (System.IO.File.Exists(target)) return target;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var partial = target + ".part";
            var (code, output) = Run("python3", [generator, HeaderOnlyModel, partial, "--size", size]);
            Skip.If(code == 127, "python3 is not installed: the synthetic Whisper model cannot be generated");
            Assert.True(code == 0, $"synthesize_model.py failed: {output}");
            System.IO.File.Move(partial, target, overwrite: true);
            return target;
        }
    }

    public static (int Code, string Output) Run(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout.Result + stderr);
        }
        catch (System.ComponentModel.Win32Exception) { return (127, $"{program} not found"); }
    }

    public static void Ffmpeg(params string[] arguments)
    {
        var (code, output) = Run("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", .. arguments]);
        Assert.True(code == 0, $"ffmpeg {string.Join(' ', arguments)} failed ({code}): {output}");
    }

    /// <summary>A fresh directory under the temp directory, for one test's captures.</summary>
    public static string TempDirectory(string what)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"voki-{what}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}

/// <summary>
/// Writes a capture directory as the SFU does (CaptureTimeline.cs): timeline.jsonl with call, join, track and leave events,
/// and one Ogg Opus file per audio track, encoded by FFmpeg (48 kHz Opus, as browsers send) or rewritten through our
/// own <see cref="OggOpusWriter"/> when the track needs a gap.
/// </summary>
public sealed class CaptureBuilder
{
    public const long Origin = 1_750_000_000_000;
    private readonly List<TimelineEvent> _events = [new() { Type = "call", At = Origin }];
    private int _files;
    private long _mediaEnd = Origin;

    public string Directory { get; }

    public CaptureBuilder(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
    }

    public CaptureBuilder Join(string participant, string name, string role, double at = 0) =>
        Add(new TimelineEvent { Type = "join", At = Ms(at), Participant = participant, Name = name, Role = role });

    public CaptureBuilder Leave(string participant, double at) => Add(new TimelineEvent { Type = "leave", At = Ms(at), Participant = participant });

    /// <summary>An audio track whose first packet arrived <paramref name="at"/> seconds into the call, from FFmpeg input arguments.</summary>
    public CaptureBuilder Audio(string participant, double at, params string[] input)
    {
        var file = NextFile(participant, "audio", "ogg");
        TranscriptionFixtures.Ffmpeg([.. input, "-ac", "2", "-ar", "48000", "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", Path.Combine(Directory, file)]);
        return Track(participant, at, file);
    }

    /// <summary>
    /// Like <see cref="Audio"/>, but packets stop for <paramref name="gapSeconds"/> after <paramref name="gapAt"/> seconds
    /// of the track (a muted or lost stretch): the file is rewritten through OggOpusWriter with the granules the SFU would write.
    /// </summary>
    public CaptureBuilder AudioWithGap(string participant, double at, double gapAt, double gapSeconds, params string[] input)
    {
        var encoded = Path.Combine(Directory, "encoded.tmp.ogg");
        TranscriptionFixtures.Ffmpeg([.. input, "-ac", "2", "-ar", "48000", "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", encoded]);
        var file = NextFile(participant, "audio", "ogg");
        using (var writer = new OggOpusWriter(Path.Combine(Directory, file)))
        {
            long position = 0;
            var gapDone = false;
            foreach (var packet in OggPackets(encoded).Skip(2)) // OpusHead, OpusTags
            {
                if (!gapDone && position >= gapAt * 48_000) { position += (long)(gapSeconds * 48_000); gapDone = true; }
                writer.WritePacket(packet, position);
                position += OggOpusWriter.SamplesIn(packet);
            }
        }
        System.IO.File.Delete(encoded);
        return Track(participant, at, file);
    }

    /// <summary>A video track: transcription ignores it.</summary>
    public CaptureBuilder Video(string participant, double at)
    {
        var file = NextFile(participant, "video", "ivf");
        System.IO.File.WriteAllBytes(Path.Combine(Directory, file), new byte[32]);
        return Add(new TimelineEvent { Type = "track", At = Ms(at), Participant = participant, Kind = "video", File = file, ClockRate = 90_000 });
    }

    public string Write(bool ended = true)
    {
        var lines = _events.OrderBy(e => e.At).Select(e => JsonSerializer.Serialize(e, TimelineEvent.Json)).ToList();
        // The capture ends after the last media, as when the call completes.
        if (ended) lines.Add(JsonSerializer.Serialize(new TimelineEvent { Type = "end", At = Math.Max(_events.Max(e => e.At), _mediaEnd) + 1 }, TimelineEvent.Json));
        System.IO.File.WriteAllLines(Path.Combine(Directory, TimelineEvent.FileName), lines);
        return Directory;
    }

    private CaptureBuilder Track(string participant, double at, string file)
    {
        _mediaEnd = Math.Max(_mediaEnd, Ms(at + OggOpusFile.Inspect(Path.Combine(Directory, file)).EndSeconds));
        return Add(new TimelineEvent { Type = "track", At = Ms(at), Participant = participant, Kind = "audio", File = file, Ssrc = (uint)_files, ClockRate = 48_000, FirstRtp = 1234 });
    }

    private CaptureBuilder Add(TimelineEvent e)
    {
        _events.Add(e);
        return this;
    }

    private string NextFile(string participant, string kind, string extension) => $"{participant}-{kind}-{++_files:x8}.{extension}";

    private static long Ms(double seconds) => Origin + (long)Math.Round(seconds * 1000);

    /// <summary>The packets of an Ogg stream (RFC 3533 lacing: a packet ends at a lacing value under 255).</summary>
    public static IEnumerable<byte[]> OggPackets(string path)
    {
        var data = System.IO.File.ReadAllBytes(path);
        var packet = new List<byte>();
        for (var i = 0; i + 27 <= data.Length;)
        {
            int segments = data[i + 26];
            var body = i + 27 + segments;
            for (var s = 0; s < segments; s++)
            {
                int length = data[i + 27 + s];
                packet.AddRange(data.AsSpan(body, length).ToArray());
                body += length;
                if (length < 255)
                {
                    yield return [.. packet];
                    packet.Clear();
                }
            }
            i = body;
        }
    }
}
