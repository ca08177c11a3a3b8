using System.Buffers.Binary;
using System.Globalization;
using Voki.Media.Client;
using Voki.Media.Recording;

namespace Voki.Tests.Recording;

/// <summary>
/// Real encoded media for client-mode peers: VP8 frames (from an FFmpeg IVF, cut into RTP payloads as a browser sends
/// them, RFC 7741) and 20 ms Opus packets (from an FFmpeg Ogg). The picture is a plain colour that turns white for one
/// frame at every whole second, when a 100 ms 1 kHz beep starts.
/// </summary>
public sealed class EncodedClip
{
    public const int MaxPayload = 1100, FramesPerSecond = 30;
    public required List<byte[][]> VideoFrames { get; init; }
    public required List<byte[]> OpusPackets { get; init; }

    /// <param name="color">The picture's colour, or an FFmpeg test pattern such as <c>testsrc2</c>.</param>
    /// <param name="size">The picture's size; bench/calls sends camera-sized clips.</param>
    /// <param name="speech">A recording of speech to send as the audio (looped) instead of the beeps: bench/calls transcribes it.</param>
    public static async Task<EncodedClip> GenerateAsync(string directory, string color, double seconds, string size = "320x240", int kbps = 300,
        string? speech = null)
    {
        Directory.CreateDirectory(directory);
        var name = size == "320x240" && kbps == 300 ? color : $"{color}-{size}-{kbps}k";
        string ivf = Path.Combine(directory, $"clip-{name}.ivf"),
            ogg = Path.Combine(directory, speech is null ? $"clip-{color}.ogg" : $"clip-{Path.GetFileNameWithoutExtension(speech)}.ogg");
        string d = seconds.ToString(CultureInfo.InvariantCulture);
        // A moving test pattern ("testsrc2") encodes to frames of a camera's size; a plain colour to a few bytes.
        var source = color.StartsWith("testsrc", StringComparison.Ordinal) ? $"{color}=" : $"color=c={color}:";
        await Run(["-f", "lavfi", "-i", $"{source}s={size}:r={FramesPerSecond}:d={d},drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='eq(mod(n\\,{FramesPerSecond})\\,0)'",
            "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", $"{kbps}k", "-g", "30", "-f", "ivf", "-y", ivf]);
        string[] audio = speech is null
            ? ["-f", "lavfi", "-i", $"aevalsrc='0.5*sin(2*PI*1000*t)*lt(mod(t\\,1)\\,0.1)':s=48000:d={d}"]
            : ["-stream_loop", "-1", "-i", speech, "-t", d, "-ar", "48000"];
        await Run([.. audio,
            "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", "-f", "ogg", "-y", ogg]);
        return new EncodedClip { VideoFrames = Vp8Payloads(File.ReadAllBytes(ivf)), OpusPackets = OggPackets(File.ReadAllBytes(ogg)).Skip(2).ToList() };
    }

    /// <summary>Sends the clip in real time from every peer (audio every 20 ms, video at 30 fps) until cancelled or the clip ends.</summary>
    /// <param name="timestampOffset">Added to a peer's RTP timestamps (by the clip's seconds): a sender whose clock jumps.</param>
    public async Task PublishAsync(IReadOnlyList<SyntheticPeer> peers, CancellationToken stop, Func<SyntheticPeer, double, uint>? timestampOffset = null)
    {
        uint Offset(SyntheticPeer peer, double seconds) => timestampOffset?.Invoke(peer, seconds) ?? 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int audio = 0, video = 0;
        while (!stop.IsCancellationRequested && (audio < OpusPackets.Count || video < VideoFrames.Count))
        {
            var now = clock.Elapsed.TotalSeconds;
            for (; audio < OpusPackets.Count && audio * 0.020 <= now; audio++)
                foreach (var peer in peers) peer.Send(video: false, OpusPackets[audio], unchecked(Offset(peer, audio * 0.020) + (uint)(audio * 960)), marker: false);
            for (; video < VideoFrames.Count && video / (double)FramesPerSecond <= now; video++)
                foreach (var peer in peers)
                    for (int k = 0; k < VideoFrames[video].Length; k++)
                        peer.Send(video: true, VideoFrames[video][k], unchecked(Offset(peer, video / (double)FramesPerSecond) + (uint)(video * 90000 / FramesPerSecond)),
                            marker: k == VideoFrames[video].Length - 1);
            await Task.Delay(5, CancellationToken.None);
        }
    }

    private static List<byte[][]> Vp8Payloads(byte[] ivf)
    {
        var frames = new List<byte[][]>();
        for (int at = BinaryPrimitives.ReadUInt16LittleEndian(ivf.AsSpan(6)); at + IvfFile.FrameHeaderSize <= ivf.Length;)
        {
            int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(ivf.AsSpan(at));
            var frame = ivf.AsSpan(at + IvfFile.FrameHeaderSize, size);
            at += IvfFile.FrameHeaderSize + size;
            var packets = new List<byte[]>();
            for (int start = 0; start < frame.Length; start += MaxPayload - 1)
            {
                var chunk = frame.Slice(start, Math.Min(MaxPayload - 1, frame.Length - start));
                var payload = new byte[chunk.Length + 1];
                payload[0] = (byte)(start == 0 ? 0x10 : 0x00); // VP8 payload descriptor: S on a frame's first packet
                chunk.CopyTo(payload.AsSpan(1));
                packets.Add(payload);
            }
            frames.Add([.. packets]);
        }
        return frames;
    }

    /// <summary>The packets of an Ogg stream, joined across pages by their lacing values (RFC 3533).</summary>
    private static List<byte[]> OggPackets(byte[] ogg)
    {
        var packets = new List<byte[]>();
        var partial = new List<byte>();
        for (int at = 0; at + 27 <= ogg.Length;)
        {
            int segments = ogg[at + 26], body = at + 27 + segments;
            for (int i = 0; i < segments; i++)
            {
                int lace = ogg[at + 27 + i];
                partial.AddRange(ogg.AsSpan(body, lace).ToArray());
                body += lace;
                if (lace < 255) { packets.Add([.. partial]); partial.Clear(); }
            }
            at = body;
        }
        return packets;
    }

    private static async Task Run(string[] args)
    {
        var run = await FfmpegProcess.RunAsync("ffmpeg", ["-v", "error", "-nostdin", .. args], TimeSpan.FromMinutes(1), null, false, default);
        Assert.True(run.ExitCode == 0, run.Reason);
    }
}
