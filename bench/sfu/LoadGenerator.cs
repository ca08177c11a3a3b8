using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using Voki.Media.Client;

namespace Voki.Bench.Sfu;

/// <summary>
/// Rooms of N participants, each publishing the VP8 clip and 20 ms Opus-sized frames and subscribing
/// to everyone else; prints forwarding rate, CPU per forwarded stream, latency and join-to-first-packet.
/// </summary>
public static class LoadGenerator
{
    private sealed class Participant(SyntheticPeer peer, string room, string name)
    {
        public SyntheticPeer Peer { get; } = peer;
        public string Room { get; } = room;
        public string Name { get; } = name;
        public long JoinStarted;
        public long FirstPacket;
        public long Received;
    }

    public static async Task<int> RunAsync(Options options)
    {
        var target = options.Get("target", "http://127.0.0.1:7300").TrimEnd('/');
        int rooms = options.Int("rooms", 2), size = options.Int("participants", 2), seconds = options.Int("seconds", 20);
        var serverPid = options.Int("server-pid", 0);
        var clip = Vp8Clip.Load(options.Get("clip", "clip.ivf"));
        using var http = new HttpClient { BaseAddress = new Uri(target), Timeout = TimeSpan.FromSeconds(30) };
        var latencies = new ConcurrentBag<double>();
        var participants = new List<Participant>();

        for (var r = 0; r < rooms; r++)
            for (var p = 0; p < size; p++)
            {
                var participant = new Participant(new SyntheticPeer { StampSendTime = true }, $"run{Environment.ProcessId}-room{r}", $"p{p}");
                participant.Peer.PacketReceived += packet =>
                {
                    if (Interlocked.Increment(ref participant.Received) == 1) participant.FirstPacket = packet.ArrivalTicks;
                    if (packet.SentTicks > 0 && (packet.Sequence & 7) == 0) latencies.Add(Stopwatch.GetElapsedTime(packet.SentTicks, packet.ArrivalTicks).TotalMilliseconds);
                };
                participants.Add(participant);
            }
        using var stop = new CancellationTokenSource();
        // Publishers send from the start, so "join to first packet" measures a joiner's wait, not the harness's setup.
        var sender = Task.Run(() => Send(participants.Select(p => p.Peer).ToList(), clip, stop.Token));
        foreach (var participant in participants)
        {
            participant.JoinStarted = Stopwatch.GetTimestamp();
            var answer = await Post(http, $"/rooms/{participant.Room}/offer/{participant.Name}", participant.Peer.CreateOffer());
            await participant.Peer.ConnectAsync(answer, TimeSpan.FromSeconds(20));
            _ = AnswerOffers(http, participant, stop.Token);
        }

        await Task.Delay(TimeSpan.FromSeconds(3)); // warm-up: renegotiation settles, keyframes arrive
        var before = await Counters(http);
        var cpuBefore = CpuSeconds(serverPid);
        latencies.Clear();
        var window = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var elapsed = window.Elapsed.TotalSeconds;
        var after = await Counters(http);
        var cpu = CpuSeconds(serverPid) - cpuBefore;
        stop.Cancel();
        await sender;

        var forwardedPps = (after.Forwarded - before.Forwarded) / elapsed;
        var receivedPps = (after.Received - before.Received) / elapsed;
        var streams = rooms * size * (size - 1) * 2;
        var joins = participants.Where(p => p.FirstPacket > 0).Select(p => Stopwatch.GetElapsedTime(p.JoinStarted, p.FirstPacket).TotalMilliseconds).ToArray();
        Report("Voki SFU", rooms, size, streams, clip, elapsed, receivedPps, forwardedPps, cpu, serverPid, latencies, joins, participants.Count);
        foreach (var participant in participants) participant.Peer.Dispose();
        return joins.Length == participants.Count ? 0 : 1;
    }

    /// <summary>Prints one run's figures; forwarded packets/s is what subscribers received where the server has no counters (Janus).</summary>
    internal static void Report(string server, int rooms, int size, int streams, Vp8Clip clip, double elapsed, double? receivedPps, double forwardedPps,
        double cpu, int serverPid, IEnumerable<double> latencies, double[] joins, int participants)
    {
        var sorted = latencies.OrderBy(x => x).ToArray();
        Array.Sort(joins);
        Console.WriteLine($"[{server}] rooms={rooms} participants/room={size} forwarded streams={streams} clip={clip.BitsPerSecond / 1000:F0} kbps@{clip.FramesPerSecond}fps window={elapsed:F1}s");
        Console.WriteLine($"[{server}] {(receivedPps is { } r ? $"received by SFU: {r:F0} pkt/s   " : "")}forwarded: {forwardedPps:F0} pkt/s");
        if (serverPid > 0)
        {
            var cores = cpu / elapsed;
            Console.WriteLine($"[{server}] CPU: {cores * 100:F1}% of one core   forwarded per core-second: {forwardedPps / Math.Max(cores, 1e-9):F0} pkt/s   CPU per forwarded stream: {cores * 100 / streams:F3}% of a core");
        }
        Console.WriteLine($"[{server}] one-way latency sender → SFU → receiver (loopback): p50={Percentile(sorted, 0.50):F2} ms  p99={Percentile(sorted, 0.99):F2} ms  (n={sorted.Length})");
        Console.WriteLine($"[{server}] join to first forwarded packet: p50={Percentile(joins, 0.50):F0} ms  max={(joins.Length > 0 ? joins[^1] : double.NaN):F0} ms  ({joins.Length}/{participants} received media)");
    }

    /// <summary>Publishes for every peer in <paramref name="peers"/> (unconnected ones skip); the collection may grow while it runs.</summary>
    internal static async Task Send(IEnumerable<SyntheticPeer> peers, Vp8Clip clip, CancellationToken stop)
    {
        var audio = new byte[100];
        Random.Shared.NextBytes(audio);
        var clock = Stopwatch.StartNew();
        long tick = 0;
        var framePeriod = 1000.0 / clip.FramesPerSecond;
        var nextFrame = 0.0;
        var frameIndex = 0;
        while (!stop.IsCancellationRequested)
        {
            foreach (var peer in peers) peer.Send(video: false, audio, (uint)(tick * 960), marker: false);
            while (clock.Elapsed.TotalMilliseconds >= nextFrame)
            {
                var packets = clip.Frames[frameIndex % clip.Frames.Count];
                var timestamp = (uint)(frameIndex * 90000L / clip.FramesPerSecond);
                foreach (var peer in peers)
                    for (var i = 0; i < packets.Length; i++) peer.Send(video: true, packets[i], timestamp, marker: i == packets.Length - 1);
                frameIndex++;
                nextFrame += framePeriod;
            }
            tick++;
            var wait = tick * 20 - clock.ElapsedMilliseconds;
            if (wait > 0) await Task.Delay(TimeSpan.FromMilliseconds(wait));
        }
    }

    private static async Task AnswerOffers(HttpClient http, Participant participant, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var response = await http.GetAsync($"/rooms/{participant.Room}/next-offer/{participant.Name}", stop);
                if (response.StatusCode != System.Net.HttpStatusCode.OK) continue;
                var offer = await response.Content.ReadAsStringAsync(stop);
                await Post(http, $"/rooms/{participant.Room}/answer/{participant.Name}", participant.Peer.CreateAnswer(offer));
            }
            catch (OperationCanceledException) { return; }
        }
    }

    private static async Task<string> Post(HttpClient http, string path, string body)
    {
        var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/sdp"));
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<(long Received, long Forwarded)> Counters(HttpClient http)
    {
        var json = JsonDocument.Parse(await http.GetStringAsync("/counters")).RootElement;
        return (json.GetProperty("PacketsReceived").GetInt64(), json.GetProperty("PacketsForwarded").GetInt64());
    }

    /// <summary>User plus system CPU seconds of a process, from /proc/PID/stat (fields 14 and 15, in clock ticks).</summary>
    public static double CpuSeconds(int pid)
    {
        if (pid <= 0) return 0;
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
