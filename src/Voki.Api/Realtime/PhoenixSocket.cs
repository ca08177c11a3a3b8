using System.Net.WebSockets;
using System.Threading.Channels;
using Voki.Grains.Model;
using Voki.Grains.Realtime;

namespace Voki.Api.Realtime;

/// <summary>The services every socket and channel of this node shares.</summary>
public sealed class RealtimeServices(TopicHub hub, ChannelAuthorization authorization, IGrainFactory grains,
    Microsoft.Extensions.Options.IOptions<RealtimeOptions> options, ILoggerFactory logs, Endpoints.RecordingAudit audit)
{
    public Endpoints.RecordingAudit Audit => audit;
    public TopicHub Hub => hub;
    public ChannelAuthorization Authorization => authorization;
    public IGrainFactory Grains => grains;
    public RealtimeOptions Options => options.Value;
    public ILogger Logger { get; } = logs.CreateLogger("Voki.Realtime");
}

/// <summary>
/// One client's WebSocket speaking the Phoenix Channels protocol. The receive loop answers heartbeats
/// itself and hands every other message to the channel process of its topic (<see cref="PhoenixChannel"/>),
/// so a slow channel never delays another or the heartbeat. Everything sent goes through one outbox,
/// written by one writer: a client too slow to keep up with its outbox is disconnected.
/// When the socket ends, for whatever reason, every joined channel is left as if the client had left it.
/// </summary>
public sealed class PhoenixSocket
{
    private readonly WebSocket _ws;
    private readonly PhoenixWireFormat _format;
    private readonly Channel<byte[]> _outbox;
    private readonly Dictionary<string, PhoenixChannel> _channels = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _abort = new();
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;

    public PhoenixSocket(WebSocket ws, PhoenixWireFormat format, SocketIdentity identity, RealtimeServices services, string? clientIp)
    {
        ClientIp = clientIp;
        _ws = ws;
        _format = format;
        Identity = identity;
        Services = services;
        _outbox = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(services.Options.OutboxCapacity)
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public SocketIdentity Identity { get; }
    /// <summary>The address the socket was opened from, for the audit of live joins.</summary>
    public string? ClientIp { get; }
    public RealtimeServices Services { get; }

    public async Task RunAsync(CancellationToken aborted)
    {
        var writer = Task.Run(WriteLoop);
        IAsyncDisposable? sessionEnd = null;
        try
        {
            if (Identity.Session is { } session)
                sessionEnd = await Services.Hub.Subscribe(RealtimeStreams.UserSessions, TenantKey.For(session.Tenant, session.UserId), new SessionEndListener(this));
            await ReceiveLoop(aborted);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The client went away, idled out, or was cut off for falling behind.
        }
        finally
        {
            if (sessionEnd is not null) await sessionEnd.DisposeAsync();
            foreach (var channel in _channels.Values) await channel.ShutdownAsync();
            _outbox.Writer.TryComplete();
            await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(5)));
            if (_ws.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try { await _ws.CloseOutputAsync(_closeStatus, null, closing.Token); }
                catch (Exception e) when (e is OperationCanceledException or WebSocketException) { }
            }
            _ws.Abort();
        }
    }

    /// <summary>Queues one frame; never blocks. A full outbox means the client cannot keep up: it is disconnected.</summary>
    public void Send(string? joinRef, string? @ref, string topic, string @event, string payloadJson)
    {
        if (_outbox.Writer.TryWrite(PhoenixFrame.Encode(_format, joinRef, @ref, topic, @event, payloadJson))) return;
        if (_abort.IsCancellationRequested) return;
        Services.Logger.LogWarning("Closing a socket of tenant {Tenant}: {Count} frames waiting to be sent", Identity.Tenant, Services.Options.OutboxCapacity);
        _closeStatus = WebSocketCloseStatus.PolicyViolation;
        _abort.Cancel();
    }

    /// <summary>A staff holder's session still stands (<see cref="Auth.StaffSession"/>); a customer's always does.</summary>
    public async Task<bool> HolderStillValid() => Identity.Session is not { } session || await session.Current(Services.Grains) is not null;

    /// <summary>The holder's sessions have ended: the socket closes, and the client's reconnect with the same token is refused.</summary>
    public void EndSession()
    {
        if (_abort.IsCancellationRequested) return;
        Services.Logger.LogInformation("Closing a socket of user {User} of tenant {Tenant}: the user's sessions have ended", Identity.UserId, Identity.Tenant);
        _closeStatus = WebSocketCloseStatus.PolicyViolation;
        _abort.Cancel();
    }

    private sealed class SessionEndListener(PhoenixSocket socket) : ITopicListener
    {
        public void Deliver(RealtimeEvent e)
        {
            if (e.Event == RealtimeStreams.SessionsEnded) socket.EndSession();
        }
    }

    public void Reply(PhoenixMessage message, ChannelReply reply) =>
        Send(message.JoinRef, message.Ref, message.Topic, PhoenixEvents.Reply, reply.PayloadJson);

    private async Task ReceiveLoop(CancellationToken aborted)
    {
        using var receive = CancellationTokenSource.CreateLinkedTokenSource(aborted, _abort.Token);
        var chunk = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            receive.CancelAfter(Services.Options.IdleTimeout);
            message.SetLength(0);
            ValueWebSocketReceiveResult result;
            do
            {
                result = await _ws.ReceiveAsync(chunk.AsMemory(), receive.Token);
                if (result.MessageType == WebSocketMessageType.Close) return;
                message.Write(chunk, 0, result.Count);
                if (message.Length > Services.Options.MaxFrameBytes)
                {
                    _closeStatus = WebSocketCloseStatus.MessageTooBig;
                    return;
                }
            } while (!result.EndOfMessage);

            if (result.MessageType != WebSocketMessageType.Text) continue; // binary pushes are not part of this API
            if (!PhoenixFrame.TryDecode(message.GetBuffer().AsMemory(0, (int)message.Length), out var frame))
            {
                Services.Logger.LogDebug("Ignoring a malformed frame from tenant {Tenant}", Identity.Tenant);
                continue;
            }
            Dispatch(frame);
        }
    }

    private void Dispatch(PhoenixMessage message)
    {
        if (message.Topic == PhoenixEvents.SocketTopic && message.Event == PhoenixEvents.Heartbeat)
        {
            Reply(message, ChannelReply.Success());
            return;
        }
        if (_channels.TryGetValue(message.Topic, out var channel))
        {
            Enqueue(channel, message);
            return;
        }
        switch (message.Event)
        {
            case PhoenixEvents.Join when !ChannelTopic.TryParse(message.Topic, out _):
                Reply(message, ChannelReply.Failure(ChannelReply.UnmatchedTopic));
                break;
            case PhoenixEvents.Join when _channels.Count >= Services.Options.MaxChannelsPerSocket:
                Reply(message, ChannelReply.Failure("too many channels"));
                break;
            case PhoenixEvents.Join:
                ChannelTopic.TryParse(message.Topic, out var topic);
                channel = new PhoenixChannel(this, message.Topic, topic);
                _channels[message.Topic] = channel;
                Enqueue(channel, message);
                break;
            case PhoenixEvents.Leave:
                Reply(message, ChannelReply.Success());
                break;
            default:
                Reply(message, ChannelReply.Failure(ChannelReply.UnmatchedTopic));
                break;
        }
    }

    private void Enqueue(PhoenixChannel channel, PhoenixMessage message)
    {
        if (!channel.Admits(message))
        {
            if (message.Ref is not null) Reply(message, ChannelReply.Failure(ChannelReply.RateLimited));
            return;
        }
        if (channel.Enqueue(message)) return;
        Services.Logger.LogWarning("Closing a socket of tenant {Tenant}: too many messages waiting on {Topic}", Identity.Tenant, message.Topic);
        _closeStatus = WebSocketCloseStatus.PolicyViolation;
        _abort.Cancel();
    }

    private async Task WriteLoop()
    {
        try
        {
            await foreach (var frame in _outbox.Reader.ReadAllAsync(_abort.Token))
                await _ws.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, _abort.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            _abort.Cancel();
        }
    }
}
