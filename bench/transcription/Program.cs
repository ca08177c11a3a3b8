using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Transcription;

// bench/transcription: one transcription job, as a node runs it (capture → FFmpeg → Whisper), in a process of its own so
// its peak memory is its own. Prints one JSON line. Usage:
//   Voki.Bench.Transcription --model PATH --audio WAV --threads N [--fallback] [--locale pt-BR] [--weightless]
var options = new Dictionary<string, string>();
for (var i = 0; i < args.Length; i++)
{
    var key = args[i].TrimStart('-');
    options[key] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
}
string Option(string name) => options.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");

var model = Option("model");
var audio = Option("audio");
var threads = int.Parse(Option("threads"), CultureInfo.InvariantCulture);
var locale = options.GetValueOrDefault("locale", "en-US");

// A one-participant capture like the SFU writes: timeline.jsonl and an Ogg Opus track (48 kHz, as browsers send).
var capture = Path.Combine(Path.GetTempPath(), $"voki-bench-transcription-{Environment.ProcessId}");
Directory.CreateDirectory(capture);
try
{
    var encode = Process.Start(new ProcessStartInfo("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", audio, "-ac", "2", "-ar", "48000",
        "-c:a", "libopus", "-b:a", "32k", Path.Combine(capture, "customer-audio-00000001.ogg")]))!;
    await encode.WaitForExitAsync();
    if (encode.ExitCode != 0) throw new InvalidOperationException("ffmpeg could not encode the clip");
    File.WriteAllLines(Path.Combine(capture, "timeline.jsonl"),
    [
        """{"type":"call","at":1750000000000}""",
        """{"type":"join","at":1750000000100,"participant":"customer","name":"Bench","role":"customer"}""",
        """{"type":"track","at":1750000000200,"participant":"customer","kind":"audio","file":"customer-audio-00000001.ogg","ssrc":1,"clock_rate":48000,"first_rtp":0}""",
    ]);

    var transcriber = new WhisperCallTranscriber(new TranscriptionOptions
    {
        ModelPath = model,
        Threads = threads,
        TemperatureFallback = options.ContainsKey("fallback"),
        AllowWeightlessModel = options.ContainsKey("weightless"),
        MinimumTimeout = TimeSpan.FromHours(1),
    }, NullLogger<WhisperCallTranscriber>.Instance);

    var clock = Stopwatch.StartNew();
    var result = await transcriber.TranscribeAsync(capture, locale, _ => { }, CancellationToken.None);
    var seconds = clock.Elapsed.TotalSeconds;
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        model = Path.GetFileName(model),
        threads,
        fallback = options.ContainsKey("fallback"),
        audio_seconds = Math.Round(result.AudioSeconds, 2),
        job_seconds = Math.Round(seconds, 2),
        rtf = Math.Round(seconds / result.AudioSeconds, 3),
        peak_rss_mb = PeakRssMb(),
        segments = result.Segments.Count,
        text = string.Join(' ', result.Segments.Select(s => s.Text)),
    }));
}
finally
{
    Directory.Delete(capture, recursive: true);
}

// VmHWM: the process's peak resident set, native allocations (whisper.cpp's model and buffers) included.
static long PeakRssMb()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    return -1;
}
