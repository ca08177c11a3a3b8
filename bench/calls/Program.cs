using System.Diagnostics;
using System.Globalization;
using System.Net;
using Voki.Bench.Calls;
using Voki.Bench.Membership;
using Voki.Media.Client;
using Voki.Tests.Infrastructure;
using Voki.Tests.Recording;

// bench/calls: N concurrent recorded 2-party calls through the product on one node or a cluster, then all N completed
// at once (bench/calls/run.sh starts PostgreSQL in a private network namespace; this starts the nodes). Usage:
//   Voki.Bench.Calls --root REPO --pg CONNECTION --work DIR [--calls 10] [--minutes 1] [--nodes 1] [--jobs-nodes 0]
//     [--find-max 10,20,30] [--whisper-model PATH] [--recording-wait 10] [--video 640x480] [--kbps 500] [--out FILE]
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var options = new Dictionary<string, string>();
for (var i = 0; i < args.Length; i++)
{
    var key = args[i].TrimStart('-');
    options[key] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
}
string Option(string name) => options.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");
double Number(string name, double fallback) => options.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

var root = Option("root");
var work = Path.GetFullPath(Option("work"));
var connectionString = Option("pg") + ";Maximum Pool Size=100";
var minutes = Number("minutes", 1);
var mediaNodes = (int)Number("nodes", 1);
var jobsNodes = (int)Number("jobs-nodes", 0);
var whisperModel = options.GetValueOrDefault("whisper-model");
var recordingWait = TimeSpan.FromMinutes(Number("recording-wait", 10));
var video = options.GetValueOrDefault("video", "640x480");
var kbps = (int)Number("kbps", 500);
var output = options.GetValueOrDefault("out");
var rounds = options.TryGetValue("find-max", out var steps)
    ? steps.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
    : [(int)Number("calls", 10)];
if (mediaNodes < 1 || jobsNodes < 0 || minutes <= 0 || rounds.Any(n => n < 1)) throw new ArgumentException("--nodes ≥ 1, --jobs-nodes ≥ 0, --minutes > 0, --calls ≥ 1");
Directory.CreateDirectory(work);
// Plan changes need the operator's credential, which the nodes get from ClusterNode and Scenario reads from here.
Environment.SetEnvironmentVariable("VOKI_OPERATOR_TOKEN", ClusterNode.OperatorToken);

// Transcribed calls speak (tests/fixtures/audio/jfk.wav, looped: both parties all the time, the most work VAD leaves
// Whisper); the others beep, which the recordings' tests look for.
var speech = whisperModel is null ? null : Path.Combine(root, "tests", "fixtures", "audio", "jfk.wav");
Log($"the camera: FFmpeg testsrc2 {video} at 30 fps, VP8 {kbps} kbit/s, looped; Opus 32 kbit/s ({(speech is null ? "a 1 kHz beep every second" : "speech, jfk.wav looped")})");
var clip = await EncodedClip.GenerateAsync(Path.Combine(work, "clips"), "testsrc2", 11, video, kbps, speech);
Log($"clip: {clip.VideoFrames.Count} frames, {clip.VideoFrames.Average(f => f.Length):F1} packets a frame; {clip.OpusPackets.Count} Opus packets");

var results = new List<Round>();
foreach (var calls in rounds)
{
    var round = await RunRound(calls);
    results.Add(round);
    Console.WriteLine();
    Console.WriteLine(Report.Table(results, minutes, mediaNodes, jobsNodes));
    if (output is not null) await File.WriteAllTextAsync(output, Report.Table(results, minutes, mediaNodes, jobsNodes));
    if (rounds.Length > 1 && !round.Held) { Log($"{calls} calls did not hold (frame rate or recordings): the sweep stops here"); break; }
}
var held = results.Where(r => r.Held).Select(r => (int?)r.Calls).Max();
Log(rounds.Length > 1 ? $"largest N held: {(held is { } h ? h.ToString() : "none of those tried")}" : $"held: {results[0].Held}");
return 0;

async Task<Round> RunRound(int calls)
{
    var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
    var logs = Path.Combine(work, $"{stamp}-{calls}calls-{mediaNodes}nodes");
    var recordings = Path.Combine(logs, "recordings");
    Directory.CreateDirectory(recordings);
    var clusterId = $"bench-calls-{stamp}";
    // Every node reads and writes the same recordings root, as a shared mount would be.
    var settings = new Dictionary<string, string>
    {
        ["Recordings__Root"] = recordings,
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Voki"] = "Information",
    };
    if (whisperModel is not null) settings["Transcription__ModelPath"] = whisperModel;
    // Several nodes: compositions and transcriptions go to whichever node has room (README, "Roles and sizing a
    // cluster"); a node of one role needs it. A node without the setting composes what its own calls captured.
    if (mediaNodes + jobsNodes > 1) settings["Recordings__Shared"] = "true";
    Log($"round of {calls} calls: {mediaNodes} node(s){(jobsNodes > 0 ? $" + {jobsNodes} jobs-only" : "")}, cluster {clusterId}, logs in {logs}");
    var nodes = new List<ClusterNode>();
    for (var i = 0; i < mediaNodes + jobsNodes; i++)
    {
        var role = i < mediaNodes ? new Dictionary<string, string>() : JobsOnly();
        nodes.Add(ClusterNode.Start(i < mediaNodes ? $"node{i + 1}" : $"jobs{i - mediaNodes + 1}", root, connectionString, clusterId,
            Path.Combine(logs, $"node{i + 1}.log"), settings.Concat(role).ToDictionary()));
        await nodes[^1].WaitReadyAsync(TimeSpan.FromSeconds(180));
    }
    var membership = ClusterMembership.Watch(connectionString, clusterId, nodes);
    try
    {
        var round = await Measure(calls, nodes.Take(mediaNodes).ToList(), nodes);
        round.Membership = membership?.Summary();
        foreach (var line in membership?.Events ?? []) Log($"membership: {line}");
        return round;
    }
    finally
    {
        if (membership is not null) await membership.DisposeAsync();
        foreach (var node in nodes) await node.StopAsync();
    }
}

// The configuration the README documents for a node that composes and transcribes but hosts no call's media.
Dictionary<string, string> JobsOnly() => new() { ["Node__Roles"] = "jobs" };

async Task<Round> Measure(int calls, List<ClusterNode> media, List<ClusterNode> all)
{
    var http = media.Select(n => new HttpClient { BaseAddress = n.BaseAddress, Timeout = TimeSpan.FromSeconds(100) }).ToList();
    var s = await Scenario.SignUp(http[0], plan: "enterprise");
    var company = await s.Owner.Put("/api/v1/company", new { recording_enabled = true, transcription_enabled = whisperModel is not null });
    if (company.Status != HttpStatusCode.OK) throw new InvalidOperationException($"company settings: {company.Status} {company.Text}");
    var department = await s.Department();
    Log($"tenant {s.Tenant} (enterprise): {calls} attendants signing in");
    var attendants = new Attendant[calls];
    await Parallel.ForEachAsync(Enumerable.Range(0, calls), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
    {
        var (client, id) = await s.Staff("attendant", department);
        attendants[i] = new Attendant(id, client.Token!);
    });
    var links = new string[calls];
    for (var i = 0; i < calls; i++) links[i] = (await s.Link(department))["token"]!.GetValue<string>();

    var legs = new List<Leg>();
    var benchCalls = Enumerable.Range(0, calls).Select(i =>
    {
        var owner = new ApiClient(http[i % http.Count]).As(s.Owner.Token, s.Tenant);
        var call = new BenchCall
        {
            Index = i, Node = media[i % media.Count].BaseAddress,
            Customer = new Leg(new SyntheticPeer()), Attendant = new Leg(new SyntheticPeer()),
            AttendantApi = owner.As(attendants[i].Token, s.Tenant), OwnerApi = owner,
        };
        legs.Add(call.Customer);
        legs.Add(call.Attendant);
        return call;
    }).ToList();
    using var stopPublishing = new CancellationTokenSource();
    var publishing = Task.Run(() => new Publisher(clip, legs).RunAsync(stopPublishing.Token));
    try
    {
        Log($"joining {calls} calls (4 at a time), each publishing as soon as it is connected");
        var joinClock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(benchCalls, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (call, _) => await call.JoinAsync(links[call.Index]));
        Log($"all {calls} calls live after {joinClock.Elapsed.TotalSeconds:F1} s; join p50 {Percentile(benchCalls.Select(c => c.JoinTime.TotalMilliseconds), 0.5):F0} ms");
        await Task.Delay(TimeSpan.FromSeconds(5)); // every subscriber past its first keyframe

        var sentBefore = legs.Select(l => l.FramesSent).ToArray();
        var receivedBefore = legs.Select(l => l.FramesReceived).ToArray();
        var nodesBefore = all.Select(n => ProcessUsage.Of(n.ProcessId)).ToArray();
        var selfBefore = ProcessUsage.Self();
        var liveClock = Stopwatch.StartNew();
        Log($"live phase: {minutes} min");
        await Task.Delay(TimeSpan.FromMinutes(minutes));
        var live = liveClock.Elapsed;
        var nodesLive = all.Select(n => ProcessUsage.Of(n.ProcessId)).ToArray();
        var selfLive = ProcessUsage.Self();
        var sent = legs.Select((l, i) => l.FramesSent - sentBefore[i]).ToArray();
        var received = legs.Select((l, i) => l.FramesReceived - receivedBefore[i]).ToArray();
        // Leg 2k is call k's customer, 2k+1 its attendant: each receives what the other sent.
        var ratios = Enumerable.Range(0, legs.Count).Select(i => sent[i ^ 1] == 0 ? 0 : received[i] / (double)sent[i ^ 1]).ToArray();
        var callsAtFullRate = Enumerable.Range(0, calls).Count(k => ratios[2 * k] >= 0.95 && ratios[2 * k + 1] >= 0.95);
        var sentFps = sent.Average() / live.TotalSeconds;
        var receivedFps = received.Select(r => r / live.TotalSeconds).ToArray();
        Log($"live: {callsAtFullRate}/{calls} calls at full frame rate; received fps min {receivedFps.Min():F1}, p50 {Percentile(receivedFps, 0.5):F1} (sent {sentFps:F1})");

        Log($"completing all {calls} calls at once");
        var burstAt = Stopwatch.GetTimestamp();
        await Task.WhenAll(benchCalls.Select(c => c.CompleteAsync()));
        await stopPublishing.CancelAsync();
        await publishing;

        var withTranscription = whisperModel is not null;
        var ready = new double?[calls];
        var final = new string[calls];
        var transcribed = new double?[calls];
        var transcription = new string?[calls];
        var durations = new double?[calls];
        var waitClock = Stopwatch.StartNew();
        bool Done(int k) => final[k] == "failed" || final[k] == "ready" && (!withTranscription || transcription[k] is "completed" or "failed");
        while (waitClock.Elapsed < recordingWait)
        {
            var open = benchCalls.Where(c => !Done(c.Index)).ToList();
            if (open.Count == 0) break;
            // Polled once a second: the times below are to within about a second.
            await Parallel.ForEachAsync(open, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (call, _) =>
            {
                var k = call.Index;
                var (recording, duration, text) = await call.RecordingAsync();
                if (duration is not null) durations[k] = duration;
                var since = Stopwatch.GetElapsedTime(call.CompletedAtTicks).TotalSeconds;
                if (recording == "ready" && ready[k] is null) ready[k] = since;
                final[k] = recording;
                if (text == "completed" && transcribed[k] is null) transcribed[k] = since;
                transcription[k] = text ?? transcription[k];
            });
            await Task.Delay(1000);
        }
        var composing = Stopwatch.GetElapsedTime(burstAt);
        var nodesAfter = all.Select(n => ProcessUsage.Of(n.ProcessId)).ToArray();
        var readyTimes = ready.Where(r => r is not null).Select(r => r!.Value).ToArray();
        var round = new Round
        {
            Calls = calls,
            LiveMinutes = live.TotalMinutes,
            NodeCpuLive = nodesLive.Select((u, i) => u.CpuSeconds - nodesBefore[i].CpuSeconds).ToArray(),
            GeneratorCpuLive = selfLive.CpuSeconds - selfBefore.CpuSeconds,
            JoinMs = benchCalls.Select(c => c.JoinTime.TotalMilliseconds).ToArray(),
            CallsAtFullRate = callsAtFullRate,
            SentFps = sentFps,
            ReceivedFpsMin = receivedFps.Min(),
            ReceivedFpsP50 = Percentile(receivedFps, 0.5),
            RatioMin = ratios.Min(),
            Ready = readyTimes,
            Failed = final.Count(f => f == "failed"),
            ShortestRecording = durations.Where(d => d is not null).Select(d => d!.Value).DefaultIfEmpty(double.NaN).Min(),
            LiveSeconds = live.TotalSeconds,
            NotReady = final.Count(f => f is not ("ready" or "failed")),
            CompletionErrors = benchCalls.Count(c => c.Failure is not null),
            Transcribed = withTranscription ? transcribed.Where(t => t is not null).Select(t => t!.Value).ToArray() : null,
            TranscriptionsFailed = transcription.Count(t => t == "failed"),
            CompositionPhaseSeconds = composing.TotalSeconds,
            NodeCpuAfter = nodesAfter.Select((u, i) => u.CpuSeconds + u.ChildrenCpuSeconds - nodesLive[i].CpuSeconds - nodesLive[i].ChildrenCpuSeconds).ToArray(),
            PeakRssMb = nodesAfter.Select(u => u.PeakRssBytes / 1048576.0).ToArray(),
            // Which node composed each recording: its "Recording of … ready" log line.
            ComposedPerNode = all.Select(n => Lines(n.LogPath).Count(l => l.Contains("Recording of ", StringComparison.Ordinal) && l.Contains(" ready: ", StringComparison.Ordinal))).ToArray(),
            GeneratorPeakRssMb = ProcessUsage.Self().PeakRssBytes / 1048576.0,
            LoadAverage = File.ReadAllText("/proc/loadavg").Split(' ')[0],
        };
        foreach (var call in benchCalls.Where(c => c.Failure is not null)) Log($"call {call.Index} ({call.CallId}): {call.Failure}");
        for (var k = 0; k < calls; k++)
            if (final[k] != "ready") Log($"call {k} ({benchCalls[k].CallId}): recording {final[k]}");
        Log(round.ToString());
        return round;
    }
    finally
    {
        await stopPublishing.CancelAsync();
        await publishing;
        foreach (var leg in legs) leg.Peer.Dispose();
    }
}

static double Percentile(IEnumerable<double> values, double p) => Report.Percentile(values.ToArray(), p) ?? double.NaN;

// The node's log, which it is still writing.
static IEnumerable<string> Lines(string path)
{
    using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
    while (reader.ReadLine() is { } line) yield return line;
}

static void Log(string message) => Console.WriteLine($"[bench/calls {DateTime.UtcNow:HH:mm:ss}] {message}");

public sealed class Round
{
    public required int Calls { get; init; }
    public required double LiveMinutes { get; init; }
    public required double[] NodeCpuLive { get; init; }
    public required double GeneratorCpuLive { get; init; }
    public required double[] JoinMs { get; init; }
    public required int CallsAtFullRate { get; init; }
    public required double SentFps { get; init; }
    public required double ReceivedFpsMin { get; init; }
    public required double ReceivedFpsP50 { get; init; }
    public required double RatioMin { get; init; }
    public required double[] Ready { get; init; }
    public required int Failed { get; init; }
    /// <summary>The shortest ready recording's duration, against the live phase's length (every call was live longer).</summary>
    public required double ShortestRecording { get; init; }
    public required double LiveSeconds { get; init; }
    public required int NotReady { get; init; }
    public required int CompletionErrors { get; init; }
    public required double[]? Transcribed { get; init; }
    public required int TranscriptionsFailed { get; init; }
    public required double CompositionPhaseSeconds { get; init; }
    public required double[] NodeCpuAfter { get; init; }
    public required double[] PeakRssMb { get; init; }
    public required int[] ComposedPerNode { get; init; }
    public required double GeneratorPeakRssMb { get; init; }
    public required string LoadAverage { get; init; }
    /// <summary>On several nodes: false suspicion votes / running nodes declared dead / probes missed with the target running (<see cref="ClusterMembership"/>).</summary>
    public string? Membership { get; set; }

    /// <summary>Node CPU-seconds (all nodes) per call and live minute.</summary>
    public double CpuPerCallMinute => NodeCpuLive.Sum() / (Calls * LiveMinutes);
    public bool Held => CallsAtFullRate == Calls && Failed == 0 && NotReady == 0;

    public override string ToString() =>
        $"{Calls} calls: node CPU {CpuPerCallMinute:F2} s per call-minute (generator {GeneratorCpuLive / (Calls * LiveMinutes):F2}); " +
        $"full frame rate {CallsAtFullRate}/{Calls}; recordings ready {Ready.Length}/{Calls} (failed {Failed}, not ready {NotReady}), " +
        $"p50 {Report.P(Ready, 0.5)} s p95 {Report.P(Ready, 0.95)} s max {Report.P(Ready, 1)} s; peak RSS {string.Join(" / ", PeakRssMb.Select(m => m.ToString("F0")))} MB";
}

public static class Report
{
    /// <summary>The nearest-rank percentile (p in 0..1), none of no values.</summary>
    public static double? Percentile(double[]? values, double p)
    {
        if (values is null || values.Length == 0) return null;
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    public static string P(double[]? values, double p) =>
        Percentile(values, p) is { } value ? value.ToString("F1", CultureInfo.InvariantCulture) : "—";

    private static string Each(double[] values, string format) => string.Join(" / ", values.Select(v => v.ToString(format, CultureInfo.InvariantCulture)));

    public static string Table(IReadOnlyList<Round> rounds, double minutes, int mediaNodes, int jobsNodes)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine($"{mediaNodes} node(s) with calls{(jobsNodes > 0 ? $" + {jobsNodes} jobs-only" : "")}, {minutes} live minute(s) per call; generator and nodes on the same machine ({Environment.ProcessorCount} CPUs). Per node figures are in start order.");
        text.AppendLine();
        text.AppendLine("| calls | node CPU s per call-minute (live) | node CPU s live, per node | generator CPU s per call-minute | join p50 / p99 ms | calls at full frame rate | received fps min / p50 (sent) | recordings ready / failed / not ready | shortest recording s (live phase s) | ready after completion p50 / p95 / max s | transcripts done / failed, drain s | recordings composed, per node | node CPU s after the burst (incl. FFmpeg), per node | peak RSS MB per node | generator peak RSS MB | load avg | membership: false votes / running nodes declared dead / probes missed |");
        text.AppendLine("|---:|---:|---|---:|---|---:|---|---|---|---|---|---|---|---|---:|---:|---|");
        foreach (var r in rounds)
            text.AppendLine($"| {r.Calls} | {r.CpuPerCallMinute:F2} | {Each(r.NodeCpuLive, "F1")} | {r.GeneratorCpuLive / (r.Calls * r.LiveMinutes):F2} | {P(r.JoinMs, 0.5)} / {P(r.JoinMs, 0.99)} | " +
                $"{r.CallsAtFullRate}/{r.Calls} | {r.ReceivedFpsMin:F1} / {r.ReceivedFpsP50:F1} ({r.SentFps:F1}) | {r.Ready.Length} / {r.Failed} / {r.NotReady} | {r.ShortestRecording:F1} ({r.LiveSeconds:F0}) | " +
                $"{P(r.Ready, 0.5)} / {P(r.Ready, 0.95)} / {P(r.Ready, 1)} | " +
                (r.Transcribed is null ? "— | " : $"{r.Transcribed.Length} / {r.TranscriptionsFailed}, {P(r.Transcribed, 1)} | ") +
                $"{string.Join(" / ", r.ComposedPerNode)} | {Each(r.NodeCpuAfter, "F0")} | {Each(r.PeakRssMb, "F0")} | {r.GeneratorPeakRssMb:F0} | {r.LoadAverage} | {r.Membership ?? "— (one node)"} |");
        return text.ToString();
    }
}
