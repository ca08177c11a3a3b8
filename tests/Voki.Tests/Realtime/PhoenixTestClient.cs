using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Voki.Tests.Realtime;

/// <summary>One frame as received: <c>[join_ref, ref, topic, event, payload]</c>.</summary>
public sealed record Frame(string? JoinRef, string? Ref, string Topic, string Event, JsonNode? Payload)
{
    public string Status => Payload!["status"]!.GetValue<string>();
    public JsonNode Response => Payload!["response"]!;
    public string? Reason => Payload?["response"]?["reason"]?.GetValue<string>();
    public string Text(string property) => Payload![property]!.GetValue<string>();
}

/// <summary>
/// A minimal Phoenix Channels V2 client written from the protocol description, for tests through the
/// in-process server: it numbers refs like the official client and keeps every frame it has not yet
/// been asked for, so tests can wait for one event while others arrive.
/// </summary>
public sealed partial class PhoenixTestClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(15);

    private readonly WebSocket _ws;
    private readonly Channel<Frame> _incoming = Channel.CreateUnbounded<Frame>();
    private readonly List<Frame> _held = [];
    private readonly Dictionary<string, string> _joinRefs = new();
    private readonly Task _receiving;
    private int _ref;

    private PhoenixTestClient(WebSocket ws)
    {
        _ws = ws;
        _receiving = Task.Run(Receive);
    }

    public static Uri SocketUri(string? token, string vsn = "2.0.0") =>
        new($"ws://localhost/socket/websocket?vsn={vsn}" + (token is null ? "" : $"&token={Uri.EscapeDataString(token)}"));

    /// <summary>Over a real connection to a node listening on <paramref name="baseUrl"/> (it sees the client's address).</summary>
    public static async Task<PhoenixTestClient> Connect(string baseUrl, string token)
    {
        var ws = new ClientWebSocket();
        var socket = new UriBuilder(SocketUri(token)) { Scheme = "ws", Host = new Uri(baseUrl).Host, Port = new Uri(baseUrl).Port };
        await ws.ConnectAsync(socket.Uri, CancellationToken.None);
        return new PhoenixTestClient(ws);
    }

    public WebSocketState State => _ws.State;

    public async Task<Frame> Join(string topic, object? payload = null)
    {
        var reference = NextRef();
        _joinRefs[topic] = reference;
        await Send(reference, reference, topic, "phx_join", payload ?? new { });
        return await Reply(topic, reference);
    }

    public async Task<Frame> Push(string topic, string @event, object payload)
    {
        var reference = NextRef();
        await Send(_joinRefs.GetValueOrDefault(topic), reference, topic, @event, payload);
        return await Reply(topic, reference);
    }

    public Task<Frame> Leave(string topic) => Push(topic, "phx_leave", new { });

    public async Task<Frame> Heartbeat()
    {
        var reference = NextRef();
        await Send(null, reference, "phoenix", "heartbeat", new { });
        return await Reply("phoenix", reference);
    }

    public Task SendRaw(string text) => _ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next frame on <paramref name="topic"/> with <paramref name="event"/> (and matching <paramref name="where"/>).</summary>
    public async Task<Frame> Next(string topic, string @event, Func<Frame, bool>? where = null, TimeSpan? wait = null)
    {
        bool Match(Frame f) => f.Topic == topic && f.Event == @event && (where is null || where(f));
        var held = _held.FirstOrDefault(Match);
        if (held is not null)
        {
            _held.Remove(held);
            return held;
        }
        using var timeout = new CancellationTokenSource(wait ?? DefaultWait);
        try
        {
            while (true)
            {
                var frame = await _incoming.Reader.ReadAsync(timeout.Token);
                if (Match(frame)) return frame;
                _held.Add(frame);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No {@event} on {topic}; received meanwhile: " + string.Join(", ", _held.Select(f => $"{f.Topic}/{f.Event}")));
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The socket closed while waiting for {@event} on {topic}");
        }
    }

    /// <summary>True when nothing matching arrives within <paramref name="wait"/>.</summary>
    public async Task<bool> Quiet(string topic, string @event, TimeSpan wait, Func<Frame, bool>? where = null)
    {
        try
        {
            await Next(topic, @event, where, wait);
            return false;
        }
        catch (TimeoutException)
        {
            return true;
        }
    }

    /// <summary>Waits for the server to end the socket (close frame or abort).</summary>
    public async Task<bool> Closed(TimeSpan wait) => await Task.WhenAny(_receiving, Task.Delay(wait)) == _receiving;

    private Task<Frame> Reply(string topic, string reference) => Next(topic, "phx_reply", f => f.Ref == reference);

    private string NextRef() => Interlocked.Increment(ref _ref).ToString();

    private Task Send(string? joinRef, string reference, string topic, string @event, object payload) =>
        SendRaw(JsonSerializer.Serialize(new object?[] { joinRef, reference, topic, @event, payload }));

    private async Task Receive()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await _ws.ReceiveAsync(buffer, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close) return;
                    message.Write(buffer, 0, result.Count);
                } while (!result.EndOfMessage);
                var array = JsonNode.Parse(message.ToArray())!.AsArray();
                await _incoming.Writer.WriteAsync(new Frame(
                    array[0]?.GetValue<string>(), array[1]?.GetValue<string>(), array[2]!.GetValue<string>(), array[3]!.GetValue<string>(), array[4]));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            _incoming.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_ws.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token); }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
        }
        await Task.WhenAny(_receiving, Task.Delay(TimeSpan.FromSeconds(5)));
        _ws.Dispose();
    }
}
