using System.Text.Json;
using Voki.Grains.Realtime;

namespace Voki.Api.Realtime;

/// <summary>
/// What a joined topic does: authorizes the join, follows the topic's event stream and forwards it,
/// answers the client's events, and cleans up when left (or when the socket ends).
/// </summary>
public abstract class TopicChannel(PhoenixSocket socket, string topic, ChannelTopic parsed, string? joinRef) : ITopicListener
{
    private IAsyncDisposable? _lease;
    private volatile bool _closed;

    public string? JoinRef => joinRef;
    protected string Topic => topic;
    protected ChannelTopic Parsed => parsed;
    protected SocketIdentity Who => socket.Identity;
    protected string? ClientIp => socket.ClientIp;
    protected RealtimeServices Services => socket.Services;
    protected string StreamKey => parsed.StreamKey(socket.Identity.Tenant);

    public abstract Task<ChannelReply> JoinAsync(JsonElement payload);

    public virtual Task<ChannelReply> HandleInAsync(string @event, JsonElement payload) =>
        Task.FromResult(ChannelReply.Failure(ChannelReply.UnknownEvent));

    public async Task TerminateAsync()
    {
        if (_closed) return;
        _closed = true;
        try
        {
            await OnLeaveAsync();
        }
        finally
        {
            if (_lease is { } lease) await lease.DisposeAsync();
        }
    }

    protected virtual Task OnLeaveAsync() => Task.CompletedTask;

    /// <summary>The participant id that <see cref="RealtimeEvent.TargetParticipantId"/> is compared with.</summary>
    protected virtual string? OwnParticipantId => Who.UserId?.ToString();

    protected virtual bool Accepts(RealtimeEvent e) => e.TargetParticipantId is null || e.TargetParticipantId == OwnParticipantId;

    protected async Task FollowStreamAsync() => _lease = await Services.Hub.Subscribe(parsed.StreamNamespace, StreamKey, this);

    protected Task PublishAsync(RealtimeEvent e) => Services.Hub.Publish(parsed.StreamNamespace, StreamKey, e);

    /// <summary>A push to this client only, on this join.</summary>
    protected void Push(string @event, string payloadJson) => socket.Send(joinRef, null, topic, @event, payloadJson);

    /// <summary>Sends a stream event to this client: what <see cref="ITopicListener.Deliver"/> accepts, or one held back until now.</summary>
    protected void Forward(RealtimeEvent e)
    {
        if (!_closed) socket.Send(null, null, topic, e.Event, e.Payload);
    }

    void ITopicListener.Deliver(RealtimeEvent e)
    {
        if (!_closed && Accepts(e)) Forward(e);
    }
}
