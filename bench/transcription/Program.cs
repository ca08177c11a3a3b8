using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Bench.Transcription;
using Voki.Transcription;

// bench/transcription: one transcription job, as a node runs it (capture → FFmpeg → VAD → Whisper), in a process of its
// own so its peak memory is its own. Prints one JSON line. Usage:
//   Voki.Bench.Transcription --model PATH (--audio WAV | --capture DIR) --threads N [--no-vad] [--fallback] [--locale pt-BR] [--weightless]
//   Voki.Bench.Transcription --make-call DIR --seconds N [--pause SECONDS] [--seed N]   (a two-party capture of espeak-ng speech)
var options = new Dictionary<string, string>();
for (var i = 0; i < args.Length; i++)
{
    var key = args[i].TrimStart('-');
    options[key] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
}
string Option(string name) => options.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");
double Number(string name, double otherwise) => options.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : otherwise;

if (options.TryGetValue("make-call", out var callDirectory))
{
    var share = CallAudio.Write(callDirectory, Number("seconds", 300), Number("pause", 1.0), (int)Number("seed", 7));
    Console.WriteLine(JsonSerializer.Serialize(new { capture = callDirectory, seconds = Number("seconds", 300), talk_share = Math.Round(share, 3) }));
    return;
}

var model = Option("model");
var threads = int.Parse(Option("threads"), CultureInfo.InvariantCulture);
var locale = options.GetValueOrDefault("locale", "en-US");
var voiceDetection = !options.ContainsKey("no-vad");

// A one-participant capture like the SFU writes from --audio (timeline.jsonl and an Ogg Opus track, 48 kHz as browsers
// send), or a capture made by --make-call.
var made = !options.ContainsKey("capture");
var capture = made ? Path.Combine(Path.GetTempPath(), $"voki-bench-transcription-{Environment.ProcessId}") : Option("capture");
try
{
    if (made)
    {
        Directory.CreateDirectory(capture);
        var encode = Process.Start(new ProcessStartInfo("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", Option("audio"), "-ac", "2", "-ar", "48000",
            "-c:a", "libopus", "-b:a", "32k", Path.Combine(capture, "customer-audio-00000001.ogg")]))!;
        await encode.WaitForExitAsync();
        if (encode.ExitCode != 0) throw new InvalidOperationException("ffmpeg could not encode the clip");
        File.WriteAllLines(Path.Combine(capture, "timeline.jsonl"),
        [
            """{"type":"call","at":1750000000000}""",
            """{"type":"join","at":1750000000100,"participant":"customer","name":"Bench","role":"customer"}""",
            """{"type":"track","at":1750000000200,"participant":"customer","kind":"audio","file":"customer-audio-00000001.ogg","ssrc":1,"clock_rate":48000,"first_rtp":0}""",
        ]);
    }

    var settings = new TranscriptionOptions
    {
        ModelPath = model,
        Threads = threads,
        TemperatureFallback = options.ContainsKey("fallback"),
        AllowWeightlessModel = options.ContainsKey("weightless"),
        MinimumTimeout = TimeSpan.FromHours(10),
    };
    var transcriber = new WhisperCallTranscriber(settings, NullLogger<WhisperCallTranscriber>.Instance) { VoiceDetection = voiceDetection };

    var windows = 0;
    var clock = Stopwatch.StartNew();
    var result = await transcriber.TranscribeAsync(capture, locale, _ => { }, CancellationToken.None,
        new TranscriptionCheckpoint([], _ => Interlocked.Increment(ref windows)));
    var seconds = clock.Elapsed.TotalSeconds;
    var peak = PeakRssMb();
    var (_, callSeconds) = CaptureAudio.Read(capture);

    // The VAD on its own, after the job (its peak memory is the job's): FFmpeg's decoding and Silero over every track,
    // and how much of the audio it passes to Whisper.
    double vadSeconds = 0, vadCpuSeconds = 0, passed = 0;
    if (voiceDetection)
    {
        using var vad = SileroVad.Open(settings.VadModelPath);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var vadClock = Stopwatch.StartNew();
        foreach (var track in CaptureAudio.Read(capture).Tracks)
        {
            using var pcm = PcmDecoder.Start("ffmpeg", track.File, track.Duration, CancellationToken.None);
            foreach (var window in SpeechWindows.Read(pcm, vad, new SpeechDetector())) passed += window.Samples.Length / (double)PcmDecoder.SampleRate;
        }
        vadSeconds = vadClock.Elapsed.TotalSeconds;
        vadCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
    }
    else passed = result.AudioSeconds;

    Console.WriteLine(JsonSerializer.Serialize(new
    {
        model = Path.GetFileName(model),
        threads,
        vad = voiceDetection,
        fallback = options.ContainsKey("fallback"),
        audio_seconds = Math.Round(result.AudioSeconds, 2),
        call_seconds = Math.Round(callSeconds, 2),
        job_seconds = Math.Round(seconds, 2),
        rtf = Math.Round(seconds / result.AudioSeconds, 3),
        rtf_call = Math.Round(seconds / callSeconds, 3),
        peak_rss_mb = peak,
        windows,
        whisper_share = Math.Round(passed / result.AudioSeconds, 3),
        vad_seconds = Math.Round(vadSeconds, 2),
        vad_cpu_seconds = Math.Round(vadCpuSeconds, 2),
        segments = result.Segments.Count,
        text = made ? string.Join(' ', result.Segments.Select(s => s.Text)) : "",
    }));
}
finally
{
    if (made) Directory.Delete(capture, recursive: true);
}

// VmHWM: the process's peak resident set, native allocations (whisper.cpp's model and buffers) included.
static long PeakRssMb()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    return -1;
}
