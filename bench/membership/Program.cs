using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using Voki.Bench.Membership;
using Voki.Media.Recording;
using Voki.Tests.Recording;

// bench/membership: for each failure-detection setting, a two-node cluster on one PostgreSQL with both nodes fully
// loaded (NodeLoad) for --load-seconds; then, load still on, --kills times: SIGKILL the second node and time how long
// until the membership table says Dead. Appends one row per setting to --out. Usage:
//   Voki.Bench.Membership --root REPO --pg CONNECTION --work DIR --out results.md [--only a,b] [--load-seconds 180]
//     [--kills 5] [--compositions 2] [--compositions-normal-priority] [--whisper-model PATH] [--logins 6] [--hangs 2]
// --hangs: before the kills, node B is stopped (SIGSTOP) this many times and timed until the table says Dead.
var options = new Dictionary<string, string>();
for (var i = 0; i < args.Length; i++)
{
    var key = args[i].TrimStart('-');
    options[key] = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
}
string Option(string name) => options.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");
int Number(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

var root = Option("root");
var work = Path.GetFullPath(Option("work"));
var output = Option("out");
var loadSeconds = Number("load-seconds", 180);
var kills = Number("kills", 5);
var compositions = Number("compositions", 2);
var lowPriority = !options.ContainsKey("compositions-normal-priority");
var logins = Number("logins", 6);
var whisperModel = options.GetValueOrDefault("whisper-model");
var hangCount = Number("hangs", 2);
var only = options.TryGetValue("only", out var o) ? o.Split(',') : Candidate.All.Select(c => c.Name).ToArray();
var candidates = only.Select(name => Candidate.All.SingleOrDefault(c => c.Name == name)
    ?? throw new ArgumentException($"unknown setting {name}; known: {string.Join(", ", Candidate.All.Select(c => c.Name))}")).ToList();
Directory.CreateDirectory(work);

// The composition input: a 2-party call of 60 s (two cameras), as bench/recording generates it.
var capture = Path.Combine(work, "capture-2p-60s");
if (!File.Exists(Path.Combine(capture, TimelineEvent.FileName)))
{
    Log($"generating a 2-party capture of 60 s in {capture}");
    await SyntheticCapture.WriteAsync(capture,
    [
        new() { Id = "agent", Name = "Agent Smith", Role = "agent", Join = 0, AudioStart = 0.3, VideoStart = 0.6, VideoSource = "testsrc2", VideoWidth = 640, VideoHeight = 480, VideoKbps = 600 },
        new() { Id = "customer", Name = "Customer", Join = 1.0, AudioStart = 1.4, VideoStart = 1.5, VideoSource = "testsrc2", VideoWidth = 640, VideoHeight = 360, VideoKbps = 500 },
    ], end: 60.05);
}
// The transcription input: one participant speaking for 60 s (jfk.wav looped), an Ogg Opus track as the SFU writes it.
string? speech = null;
if (whisperModel is not null)
{
    speech = Path.Combine(work, "speech-60s");
    if (!File.Exists(Path.Combine(speech, TimelineEvent.FileName)))
    {
        Directory.CreateDirectory(speech);
        var encode = Process.Start(new ProcessStartInfo("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-stream_loop", "-1",
            "-i", Path.Combine(root, "tests", "fixtures", "audio", "jfk.wav"), "-t", "60", "-ac", "2", "-ar", "48000",
            "-c:a", "libopus", "-b:a", "32k", Path.Combine(speech, "customer-audio-00000001.ogg")]))!;
        await encode.WaitForExitAsync();
        if (encode.ExitCode != 0) throw new InvalidOperationException("ffmpeg could not encode the speech clip");
        File.WriteAllLines(Path.Combine(speech, TimelineEvent.FileName),
        [
            """{"type":"call","at":1750000000000}""",
            """{"type":"join","at":1750000000100,"participant":"customer","name":"Bench","role":"customer"}""",
            """{"type":"track","at":1750000000200,"participant":"customer","kind":"audio","file":"customer-audio-00000001.ogg","ssrc":1,"clock_rate":48000,"first_rtp":0}""",
        ]);
    }
}

await using var database = NpgsqlDataSource.Create(Option("pg"));
var connectionString = Option("pg") + ";Maximum Pool Size=100";
if (!File.Exists(output))
    File.WriteAllLines(output,
    [
        "| setting | knobs | under load | probes missed (target running) | false suspicion votes | running node declared dead | kills | kill → Dead p50 | max | hung node (SIGSTOP) → Dead | logins/s | compositions | transcriptions | load average |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]);

foreach (var candidate in candidates)
{
    var row = await Measure(candidate);
    File.AppendAllLines(output, [row]);
    Log(row);
}

async Task<string> Measure(Candidate candidate)
{
    var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
    var clusterId = $"membership-{candidate.Name}-{stamp}";
    var logs = Path.Combine(work, $"{stamp}-{candidate.Name}");
    Directory.CreateDirectory(logs);
    Log($"{candidate.Name}: {candidate.Description}; {candidate.Overrides}; cluster {clusterId}, logs in {logs}");
    var settings = candidate.Membership.ToDictionary(kv => $"Membership__{kv.Key}", kv => kv.Value);
    var table = new MembershipTable(database, clusterId);
    var slots = new[] { new NodeSlot("A"), new NodeSlot("B") };
    var starts = 0;
    MembershipWatch? watch = null;

    // A node that is slow to answer probes while it joins (start-up on a loaded machine) can be declared dead before
    // it is active; it then stops, which counts (the table says Dead for a node that was running), and starts again.
    var joinsFailed = 0;
    async Task<ClusterNode> StartNode(NodeSlot slot)
    {
        for (var attempt = 1; ; attempt++)
        {
            var node = ClusterNode.Start(slot.Name, root, connectionString, clusterId, Path.Combine(logs, $"{slot.Name}-{++starts}.log"), settings);
            watch?.Track(node);
            try
            {
                await node.WaitReadyAsync(TimeSpan.FromSeconds(180));
                await Until(async () => (await table.RowOfAsync(node.SiloPort))?.Status == SiloRow.Active, TimeSpan.FromSeconds(60));
                return node;
            }
            catch (Exception e) when (attempt < 5)
            {
                joinsFailed++;
                Log($"{candidate.Name}: node {slot.Name} did not join (attempt {attempt}): {e.Message.Split('\n')[0]}");
                await node.StopAsync();
            }
        }
    }

    slots[0].Node = await StartNode(slots[0]);
    slots[1].Node = await StartNode(slots[1]);
    watch = new MembershipWatch(table, slots, StartNode);
    foreach (var slot in slots) watch.Track(slot.Node!);

    // A tenant with a dozen users whose logins the flood rotates over (one user's logins take turns in its grain).
    using var http = new HttpClient { BaseAddress = slots[0].Node!.BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
    var tenant = "m" + Guid.NewGuid().ToString("N")[..10];
    const string password = "bench-membership-password";
    (await http.PostAsJsonAsync("/api/signup/register", new
    {
        company = new { name = "Membership bench", slug = tenant },
        user = new { name = "Owner", email = $"owner@{tenant}.test", password },
    })).EnsureSuccessStatusCode();
    using (var plan = new HttpRequestMessage(HttpMethod.Put, $"/api/operator/tenants/{tenant}/plan") { Content = JsonContent.Create(new { plan = "professional" }) })
    {
        plan.Headers.Authorization = new("Bearer", ClusterNode.OperatorToken);
        (await http.SendAsync(plan)).EnsureSuccessStatusCode();
    }
    var login = await (await http.PostAsJsonAsync("/api/auth/login", new { email = $"owner@{tenant}.test", password, tenant })).Content.ReadFromJsonAsync<JsonObject>();
    http.DefaultRequestHeaders.Authorization = new("Bearer", login!["data"]!["access_token"]!.GetValue<string>());
    http.DefaultRequestHeaders.Add("X-Tenant", tenant);
    var emails = new List<string> { $"owner@{tenant}.test" };
    for (var i = 0; i < 11; i++)
    {
        var email = $"user{i}@{tenant}.test";
        (await http.PostAsJsonAsync("/api/v1/users", new { name = $"User {i}", email, password, role = "attendant" })).EnsureSuccessStatusCode();
        emails.Add(email);
    }

    using var stop = new CancellationTokenSource();
    var loads = slots.Select(_ => new NodeLoad
    {
        CaptureDirectory = capture, OutputDirectory = logs, Compositions = compositions, CompositionsLowPriority = lowPriority,
        WhisperModel = whisperModel, SpeechCapture = speech, LoginConcurrency = logins, Tenant = tenant, Emails = emails, Password = password,
    }).ToArray();
    var loadTasks = slots.Select((slot, i) => loads[i].RunAsync(slot, stop.Token)).ToArray();
    var watching = watch.RunAsync(stop.Token);
    var loadAverage = new List<double>();
    var sampling = Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            loadAverage.Add(double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture));
            try { await Task.Delay(TimeSpan.FromSeconds(5), stop.Token); } catch (OperationCanceledException) { }
        }
    });
    var loaded = Stopwatch.StartNew();
    Log($"{candidate.Name}: load on both nodes ({compositions} compositions each at {(lowPriority ? "the node's low" : "normal")} priority, " +
        $"{(whisperModel is null ? "no transcription" : "1 transcription")} each, {logins} concurrent logins each) for {loadSeconds} s");
    await Task.Delay(TimeSpan.FromSeconds(loadSeconds));
    Log($"{candidate.Name}: after {loaded.Elapsed.TotalSeconds:F0} s under load: {watch.FalselyMissedProbes()} probes missed, " +
        $"{watch.FalseVotes} false votes, {watch.FalseDeaths} false deaths; {loads.Sum(l => l.LoggedIn)} logins, {loads.Sum(l => l.Composed)} compositions, {loads.Sum(l => l.Transcribed)} transcriptions");

    // Hangs, the load still on: node B stopped (SIGSTOP) until the table says Dead. A stopped process keeps its
    // connections open, as a node whose machine froze or whose network was cut: this is how long such a failure goes
    // unnoticed, and so the longest stall (GC pause, starved machine) a node survives.
    var hangs = new List<double>();
    for (var h = 0; h < hangCount; h++)
    {
        var node = slots[1].Node!;
        watch.Killing(node);
        var clock = Stopwatch.StartNew();
        node.Freeze();
        var dead = false;
        try
        {
            await Until(async () => (await table.RowOfAsync(node.SiloPort))?.Status == SiloRow.Dead, TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(25));
            dead = true;
        }
        catch (TimeoutException) { }
        hangs.Add(dead ? clock.Elapsed.TotalSeconds : double.PositiveInfinity);
        Log($"{candidate.Name}: hang {h + 1}: " + (dead ? $"declared dead after {clock.Elapsed.TotalSeconds:F2} s" : "not declared dead within 90 s"));
        node.Crash();
        slots[1].Node = await StartNode(slots[1]);
        await Task.Delay(TimeSpan.FromSeconds(10));
    }

    // Kills, the load still on: from SIGKILL of node B to its row saying Dead.
    var detections = new List<double>();
    for (var k = 0; k < kills; k++)
    {
        var victim = slots[1].Node;
        if (victim is null) { await Task.Delay(1000); k--; continue; }
        var before = await table.RowOfAsync(victim.SiloPort);
        if (before?.Status != SiloRow.Active) throw new InvalidOperationException($"node B is not active before kill {k + 1}: {before}");
        watch.Killing(victim);
        var clock = Stopwatch.StartNew();
        victim.Crash();
        await Until(async () => (await table.RowOfAsync(victim.SiloPort))?.Status == SiloRow.Dead, TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(25));
        detections.Add(clock.Elapsed.TotalSeconds);
        Log($"{candidate.Name}: kill {k + 1}: declared dead after {clock.Elapsed.TotalSeconds:F2} s");
        if (k == kills - 1) break;
        slots[1].Node = await StartNode(slots[1]);
        // The survivor's prober has samples of the new node's round trips again before the next kill.
        await Task.Delay(TimeSpan.FromSeconds(10));
    }
    var underLoad = loaded.Elapsed;

    stop.Cancel();
    await Task.WhenAll(loadTasks.Append(watching).Append(sampling));
    foreach (var slot in slots) if (slot.Node is { } node) await node.StopAsync();
    File.WriteAllLines(Path.Combine(logs, "events.txt"), watch.Events);
    var loginsPerSecond = loads.Sum(l => l.LoggedIn) / underLoad.TotalSeconds;
    detections.Sort();
    var p50 = detections.Count == 0 ? double.NaN : detections[detections.Count / 2];
    var max = detections.Count == 0 ? double.NaN : detections[^1];
    var deaths = $"{watch.FalseDeaths}" + (joinsFailed > 0 ? $" ({joinsFailed} while joining)" : "");
    Log($"{candidate.Name}: login p50 {loads.Select(l => l.LoginPercentileMs(0.5)).Average():F0} ms, p99 {loads.Select(l => l.LoginPercentileMs(0.99)).Max():F0} ms; " +
        $"{watch.Count(new Regex("local health is degraded"))} local-health complaints, {watch.Count(new Regex("Suppressing vote"))} votes suppressed (active connection)");
    return string.Create(CultureInfo.InvariantCulture,
        $"| {candidate.Name} | {candidate.Summary} | {underLoad.TotalMinutes:F1} min | {watch.FalselyMissedProbes()} | {watch.FalseVotes} | {deaths} | {detections.Count} | " +
        $"{p50:F2} s | {max:F2} s | {Seconds(hangs)} | {loginsPerSecond:F1} | {loads.Sum(l => l.Composed)} | {loads.Sum(l => l.Transcribed)} | {loadAverage.Average():F1} |");
}

static string Seconds(List<double> values) => values.Count == 0 ? "—"
    : string.Join(", ", values.Order().Select(v => double.IsInfinity(v) ? "> 90 s" : v.ToString("F1", CultureInfo.InvariantCulture) + " s"));

static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? every = null)
{
    var clock = Stopwatch.StartNew();
    while (!await condition())
    {
        if (clock.Elapsed > timeout) throw new TimeoutException($"condition not met within {timeout}");
        await Task.Delay(every ?? TimeSpan.FromMilliseconds(200));
    }
}

static void Log(string line) => Console.WriteLine($"[bench/membership {DateTime.UtcNow:HH:mm:ss}] {line}");
