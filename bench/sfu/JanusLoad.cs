using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Voki.Media.Client;

namespace Voki.Bench.Sfu;

/// <summary>
/// The same load against Janus's VideoRoom (HTTP API, long-poll events): each participant publishes
/// through one handle and subscribes to every other feed through a second, multistream handle.
/// </summary>
public static class JanusLoad
{
    private sealed class Member
    {
        public required JanusSession Session { get; init; }
        public required SyntheticPeer Publisher { get; init; }
        public required SyntheticPeer Subscriber { get; init; }
        public long PublisherId;
        public long JoinStarted, FirstPacket, Received;
    }

    public static async Task<int> RunAsync(Options options)
    {
        var baseUrl = options.Get("janus", "http://127.0.0.1:8088/janus");
        int rooms = options.Int("rooms", 2), size = options.Int("participants", 2), seconds = options.Int("seconds", 20);
        var serverPid = options.Int("server-pid", 0);
        var clip = Vp8Clip.Load(options.Get("clip", "clip.ivf"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var latencies = new ConcurrentBag<double>();
        var members = new List<(int Room, Member Member)>();
        var publishing = new ConcurrentQueue<SyntheticPeer>();
        using var stop = new CancellationTokenSource();
        // Publishers send from the start, so "join to first packet" measures a subscriber's wait, not the harness's setup.
        var sender = Task.Run(() => LoadGenerator.Send(publishing, clip, stop.Token));
        // Janus only gathers on the machine's own interface, so our peers name that address too.
        var local = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.Name == options.Get("iface", "eth0")).SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address).First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);

        for (var r = 0; r < rooms; r++)
        {
            var roomId = 10_000 + Environment.ProcessId % 1000 * 100 + r;
            var roomMembers = new List<Member>();
            for (var p = 0; p < size; p++)
            {
                var session = await JanusSession.CreateAsync(http, baseUrl);
                var member = new Member { Session = session, Publisher = new SyntheticPeer(IPAddress.Any, local) { StampSendTime = true }, Subscriber = new SyntheticPeer(IPAddress.Any, local) { StampSendTime = true } };
                member.Subscriber.PacketReceived += packet =>
                {
                    if (Interlocked.Increment(ref member.Received) == 1) member.FirstPacket = packet.ArrivalTicks;
                    if (packet.SentTicks > 0 && (packet.Sequence & 7) == 0) latencies.Add(Stopwatch.GetElapsedTime(packet.SentTicks, packet.ArrivalTicks).TotalMilliseconds);
                };
                var publisherHandle = await session.AttachAsync();
                if (p == 0) await session.RequestAsync(publisherHandle, new JsonObject { ["request"] = "create", ["room"] = roomId, ["publishers"] = size, ["bitrate"] = 2_500_000 });
                var joined = await session.MessageAsync(publisherHandle, new JsonObject { ["request"] = "join", ["ptype"] = "publisher", ["room"] = roomId, ["display"] = $"p{p}" });
                member.PublisherId = joined.Data!["id"]!.GetValue<long>();
                var configured = await session.MessageAsync(publisherHandle, new JsonObject { ["request"] = "publish", ["audio"] = true, ["video"] = true },
                    new JsonObject { ["type"] = "offer", ["sdp"] = member.Publisher.CreateOffer(dtlsClient: true) });
                try { await ConnectThenEndTrickle(member.Publisher, configured.Jsep!, session, publisherHandle); }
                catch (TimeoutException e)
                {
                    throw new TimeoutException($"{e.Message}; Janus answered:\n{configured.Jsep}", e);
                }
                roomMembers.Add(member);
                publishing.Enqueue(member.Publisher);
                members.Add((r, member));
            }
            foreach (var member in roomMembers)
            {
                // Join-to-first-packet counts from the subscription: the harness publishes everyone first.
                member.JoinStarted = Stopwatch.GetTimestamp();
                var handle = await member.Session.AttachAsync();
                var feeds = new JsonArray(roomMembers.Where(m => m != member).Select(m => (JsonNode)new JsonObject { ["feed"] = m.PublisherId }).ToArray());
                var attached = await member.Session.MessageAsync(handle, new JsonObject { ["request"] = "join", ["ptype"] = "subscriber", ["room"] = roomId, ["streams"] = feeds });
                var offer = attached.Jsep!;
                await member.Session.MessageAsync(handle, new JsonObject { ["request"] = "start" },
                    new JsonObject { ["type"] = "answer", ["sdp"] = member.Subscriber.CreateAnswer(offer) });
                await ConnectThenEndTrickle(member.Subscriber, offer, member.Session, handle);
            }
        }

        await Task.Delay(TimeSpan.FromSeconds(3));
        long Received() => members.Sum(m => Interlocked.Read(ref m.Member.Received));
        var receivedBefore = Received();
        var cpuBefore = LoadGenerator.CpuSeconds(serverPid);
        latencies.Clear();
        var window = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var elapsed = window.Elapsed.TotalSeconds;
        var forwardedPps = (Received() - receivedBefore) / elapsed;
        var cpu = LoadGenerator.CpuSeconds(serverPid) - cpuBefore;
        stop.Cancel();
        await sender;

        var streams = rooms * size * (size - 1) * 2;
        var joins = members.Where(m => m.Member.FirstPacket > 0).Select(m => Stopwatch.GetElapsedTime(m.Member.JoinStarted, m.Member.FirstPacket).TotalMilliseconds).ToArray();
        LoadGenerator.Report("Janus VideoRoom", rooms, size, streams, clip, elapsed, null, forwardedPps, cpu, serverPid, latencies, joins, members.Count);
        foreach (var (_, member) in members) { member.Publisher.Dispose(); member.Subscriber.Dispose(); member.Session.Dispose(); }
        return joins.Length == members.Count ? 0 : 1;
    }

    /// <summary>
    /// Janus's ICE-lite agent gives up when told "no more candidates" before any check arrived, so our
    /// checks start first and the end of trickling follows.
    /// </summary>
    private static async Task ConnectThenEndTrickle(SyntheticPeer peer, string remoteSdp, JanusSession session, long handle)
    {
        var connecting = peer.ConnectAsync(remoteSdp, TimeSpan.FromSeconds(20));
        await Task.Delay(300);
        await session.TrickleCompletedAsync(handle);
        await connecting;
    }
}

/// <summary>A Janus session over the HTTP transport: requests by POST, plugin events by long poll.</summary>
public sealed class JanusSession : IDisposable
{
    public sealed record Event(JsonNode? Data, string? Jsep);

    private readonly HttpClient _http;
    private readonly string _url;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonNode>> _pending = new();
    private readonly CancellationTokenSource _stop = new();

    private JanusSession(HttpClient http, string url)
    {
        _http = http;
        _url = url;
        _ = Task.Run(Poll);
    }

    public static async Task<JanusSession> CreateAsync(HttpClient http, string baseUrl)
    {
        var created = await Post(http, baseUrl, new JsonObject { ["janus"] = "create" });
        return new JanusSession(http, $"{baseUrl}/{created["data"]!["id"]}");
    }

    public async Task<long> AttachAsync() =>
        (await Post(_http, _url, new JsonObject { ["janus"] = "attach", ["plugin"] = "janus.plugin.videoroom" }))["data"]!["id"]!.GetValue<long>();

    /// <summary>Janus waits for the end of trickling even when the SDP carries every candidate (a=end-of-candidates).</summary>
    public Task TrickleCompletedAsync(long handle) =>
        Post(_http, $"{_url}/{handle}", new JsonObject { ["janus"] = "trickle", ["candidate"] = new JsonObject { ["completed"] = true } });

    /// <summary>A synchronous plugin request (create): the answer comes in the HTTP response.</summary>
    public Task<JsonNode> RequestAsync(long handle, JsonObject body) =>
        Post(_http, $"{_url}/{handle}", new JsonObject { ["janus"] = "message", ["body"] = body });

    /// <summary>An asynchronous plugin request: acked at once, answered by an event with the same transaction.</summary>
    public async Task<Event> MessageAsync(long handle, JsonObject body, JsonObject? jsep = null)
    {
        var transaction = Guid.NewGuid().ToString("N");
        var waiting = _pending[transaction] = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        var message = new JsonObject { ["janus"] = "message", ["transaction"] = transaction, ["body"] = body };
        if (jsep is not null) message["jsep"] = jsep;
        await Post(_http, $"{_url}/{handle}", message, transaction);
        var reply = await waiting.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var data = reply["plugindata"]?["data"];
        if (data?["error"] is { } error) throw new InvalidOperationException($"Janus: {error}");
        return new Event(data, reply["jsep"]?["sdp"]?.GetValue<string>());
    }

    private async Task Poll()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var events = await _http.GetFromJsonAsync<JsonNode>($"{_url}?maxev=10", _stop.Token);
                var list = events is JsonArray array ? array.ToList() : [events];
                foreach (var e in list)
                    if (e?["transaction"]?.GetValue<string>() is { } transaction && e["janus"]?.GetValue<string>() == "event"
                        && _pending.TryRemove(transaction, out var waiting))
                        waiting.TrySetResult(e);
            }
            catch (Exception) when (!_stop.IsCancellationRequested) { await Task.Delay(100); }
            catch (Exception) { return; }
        }
    }

    private static async Task<JsonNode> Post(HttpClient http, string url, JsonObject body, string? transaction = null)
    {
        body["transaction"] = transaction ?? Guid.NewGuid().ToString("N");
        var response = await http.PostAsJsonAsync(url, body);
        var json = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        if (json["janus"]?.GetValue<string>() is "error") throw new InvalidOperationException($"Janus: {json["error"]}");
        return json;
    }

    public void Dispose() => _stop.Cancel();
}
