using System.Diagnostics;
using System.Globalization;

namespace Voki.Bench.Transcription;

/// <summary>
/// A two-party call made up for the benchmark: sentences spoken by espeak-ng (an attendant in English, a customer in
/// Portuguese), taking turns with pauses between them, each participant's track silent (a microphone's faint noise)
/// while the other talks. Written as a capture the SFU would write: timeline.jsonl and one Ogg Opus file per
/// participant. The tracks are generated and encoded as streams, so an hour-long call costs no memory to make.
/// </summary>
public static class CallAudio
{
    private const int Rate = 16_000;

    private static readonly string[] English =
    [
        "Good morning, thank you for calling. How can I help you today?",
        "Of course. Could you tell me the order number, please?",
        "Thank you. Let me look that up for you, it will only take a moment.",
        "Your order left our warehouse yesterday and should arrive on Friday.",
        "I understand. I can send you a new invoice by email right away.",
        "Is there anything else I can help you with?",
        "The delivery company will call you before they come.",
        "I have changed the address on your account.",
    ];

    private static readonly string[] Portuguese =
    [
        "Bom dia, eu gostaria de saber o estado do meu pedido.",
        "Claro, o número é quatro cinco sete dois nove.",
        "Preciso da segunda via da fatura, por favor.",
        "Ótimo, muito obrigado pela ajuda.",
        "Eu mudei de endereço no mês passado.",
        "Não, era só isso. Tenha um bom dia.",
        "Pode me mandar por email? Eu não recebi nada ainda.",
        "A entrega pode ser feita de manhã?",
    ];

    /// <summary>Writes the call into <paramref name="directory"/>; returns the share of the call's time someone is talking.</summary>
    public static double Write(string directory, double seconds, double meanPause, int seed)
    {
        Directory.CreateDirectory(directory);
        var random = new Random(seed);
        var spoken = new Dictionary<string, float[]>();
        float[] Say(string text, string voice)
        {
            if (!spoken.TryGetValue(voice + text, out var samples)) spoken[voice + text] = samples = Speak(text, voice, directory);
            return samples;
        }

        var rawA = Path.Combine(directory, "attendant.f32");
        var rawB = Path.Combine(directory, "customer.f32");
        long talking = 0, written = 0, total = (long)(seconds * Rate);
        using (var a = new BinaryWriter(File.Create(rawA)))
        using (var b = new BinaryWriter(File.Create(rawB)))
        {
            void Quiet(BinaryWriter w, long n) { for (long i = 0; i < n; i++) w.Write((float)(0.002 * Gaussian(random))); }
            var attendant = true;
            while (written < total)
            {
                // A turn: one to three sentences from one side.
                var turn = new List<float>();
                for (var i = random.Next(1, 4); i > 0; i--)
                {
                    if (turn.Count > 0) turn.AddRange(new float[(int)(0.35 * Rate)]);
                    turn.AddRange(attendant ? Say(English[random.Next(English.Length)], "en-us") : Say(Portuguese[random.Next(Portuguese.Length)], "pt-br"));
                }
                var n = Math.Min(turn.Count, total - written);
                var (speaker, other) = attendant ? (a, b) : (b, a);
                for (var i = 0; i < n; i++) speaker.Write(turn[i] + (float)(0.002 * Gaussian(random)));
                Quiet(other, n);
                talking += n;
                written += n;
                // The pause before the other side answers: exponential around the mean, at least 0.3 s.
                var pause = Math.Min((long)((0.3 + -Math.Log(1 - random.NextDouble()) * meanPause) * Rate), total - written);
                Quiet(a, pause);
                Quiet(b, pause);
                written += pause;
                attendant = !attendant;
            }
        }
        Encode(rawA, Path.Combine(directory, "u-1-audio-00000001.ogg"));
        Encode(rawB, Path.Combine(directory, "customer-audio-00000002.ogg"));
        File.WriteAllLines(Path.Combine(directory, "timeline.jsonl"),
        [
            """{"type":"call","at":1750000000000}""",
            """{"type":"join","at":1750000000100,"participant":"u-1","name":"Ana Souza","role":"attendant"}""",
            """{"type":"join","at":1750000000100,"participant":"customer","name":"Carlos Ferreira","role":"customer"}""",
            """{"type":"track","at":1750000000200,"participant":"u-1","kind":"audio","file":"u-1-audio-00000001.ogg","ssrc":1,"clock_rate":48000,"first_rtp":0}""",
            """{"type":"track","at":1750000000200,"participant":"customer","kind":"audio","file":"customer-audio-00000002.ogg","ssrc":2,"clock_rate":48000,"first_rtp":0}""",
            $$"""{"type":"end","at":{{1750000000201 + (long)(seconds * 1000)}}}""",
        ]);
        return talking / (double)total;
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static void Encode(string raw, string ogg)
    {
        Run("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-f", "f32le", "-ar", Rate.ToString(CultureInfo.InvariantCulture), "-ac", "1", "-i", raw,
            "-ac", "2", "-ar", "48000", "-c:a", "libopus", "-b:a", "32k", ogg]);
        File.Delete(raw);
    }

    private static float[] Speak(string text, string voice, string directory)
    {
        var wav = Path.Combine(directory, "spoken.wav");
        var raw = Path.Combine(directory, "spoken.f32");
        Run("espeak-ng", ["-v", voice, "-w", wav, text]);
        Run("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", wav, "-ac", "1", "-ar", Rate.ToString(CultureInfo.InvariantCulture), "-f", "f32le", raw]);
        var bytes = File.ReadAllBytes(raw);
        var samples = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, samples, 0, samples.Length * sizeof(float));
        File.Delete(wav);
        File.Delete(raw);
        return samples;
    }

    private static void Run(string program, string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true })
            ?? throw new InvalidOperationException($"{program} could not be started");
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} failed ({process.ExitCode}): {errors}");
    }
}
