using System.Threading.Channels;
using System.Threading.RateLimiting;

namespace Voki.Api.Realtime;

/// <summary>
/// The process behind one topic of one socket, like a Phoenix channel process: it takes that topic's
/// messages in order (join, client events, leave), one at a time. A join while joined closes the old
/// channel first (<c>phx_close</c> to the old join_ref); an exception crashes the channel, which is left
/// and reported with <c>phx_error</c> so the client rejoins. Its client events pass a token bucket first, which
/// outlives rejoins: what exceeds it is refused at once with reason "rate limited", before it costs anything.
/// </summary>
public sealed class PhoenixChannel
{
    private readonly PhoenixSocket _socket;
    private readonly string _topic;
    private readonly ChannelTopic _parsed;
    private readonly Channel<PhoenixMessage> _inbox = Channel.CreateBounded<PhoenixMessage>(new BoundedChannelOptions(256) { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private readonly TokenBucketRateLimiter _events;
    private TopicChannel? _joined;

    public PhoenixChannel(PhoenixSocket socket, string topic, ChannelTopic parsed)
    {
        _socket = socket;
        _topic = topic;
        _parsed = parsed;
        var options = socket.Services.Options;
        // Replenished on demand, not by a timer per channel: the bucket fills in proportion to the time since the last event.
        _events = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.ChannelEventBurst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1 / Math.Max(options.ChannelEventsPerSecond, 0.01)),
            AutoReplenishment = false,
            QueueLimit = 0,
        });
        _run = Task.Run(Run);
    }

    /// <summary>Whether the client may send this now; leaving is always allowed, so a limited client can still clean up.</summary>
    public bool Admits(PhoenixMessage message)
    {
        if (message.Event == PhoenixEvents.Leave) return true;
        _events.TryReplenish();
        using var lease = _events.AttemptAcquire();
        return lease.IsAcquired;
    }

    public bool Enqueue(PhoenixMessage message) => _inbox.Writer.TryWrite(message);

    /// <summary>The socket is gone: stop taking messages, let the one in progress finish, then leave.</summary>
    public async Task ShutdownAsync()
    {
        _inbox.Writer.TryComplete();
        _stop.Cancel();
        await _run;
        _events.Dispose();
        if (_joined is { } joined)
        {
            _joined = null;
            await joined.TerminateAsync();
        }
    }

    private async Task Run()
    {
        try
        {
            await foreach (var message in _inbox.Reader.ReadAllAsync(_stop.Token))
            {
                try
                {
                    await Handle(message);
                }
                catch (Exception e)
                {
                    _socket.Services.Logger.LogError(e, "Channel {Topic} crashed on {Event}", _topic, message.Event);
                    await Crash(message);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task Handle(PhoenixMessage message)
    {
        switch (message.Event)
        {
            case PhoenixEvents.Join:
                if (!await _socket.HolderStillValid())
                {
                    _socket.Reply(message, ChannelReply.Failure(ChannelReply.Unauthorized));
                    _socket.EndSession();
                    break;
                }
                if (_joined is not null)
                {
                    var previous = _joined.JoinRef;
                    await LeaveJoined();
                    _socket.Send(previous, previous, _topic, PhoenixEvents.Close, "{}");
                }
                var channel = Create(message.JoinRef);
                ChannelReply joinReply;
                try
                {
                    joinReply = await channel.JoinAsync(message.Payload);
                }
                catch
                {
                    await channel.TerminateAsync();
                    throw;
                }
                if (joinReply.Ok) _joined = channel;
                else await channel.TerminateAsync();
                _socket.Reply(message, joinReply);
                if (joinReply.Then is { } afterJoin) await afterJoin();
                break;

            case PhoenixEvents.Leave:
                var joinRef = _joined?.JoinRef;
                var wasJoined = _joined is not null;
                await LeaveJoined();
                _socket.Reply(message, ChannelReply.Success());
                if (wasJoined) _socket.Send(joinRef, joinRef, _topic, PhoenixEvents.Close, "{}");
                break;

            default:
                if (_joined is null || message.JoinRef is not null && message.JoinRef != _joined.JoinRef)
                {
                    _socket.Reply(message, ChannelReply.Failure(ChannelReply.UnmatchedTopic));
                    return;
                }
                var reply = await _joined.HandleInAsync(message.Event, message.Payload);
                if (message.Ref is not null) _socket.Reply(message, reply);
                if (reply.Then is { } afterReply) await afterReply();
                break;
        }
    }

    private async Task Crash(PhoenixMessage message)
    {
        if (_joined is { } joined)
        {
            _joined = null;
            try { await joined.TerminateAsync(); }
            catch (Exception e) { _socket.Services.Logger.LogWarning(e, "Leaving crashed channel {Topic} failed", _topic); }
            _socket.Send(joined.JoinRef, joined.JoinRef, _topic, PhoenixEvents.Error, "{}");
        }
        else if (message.Ref is not null)
        {
            _socket.Reply(message, ChannelReply.Failure(message.Event == PhoenixEvents.Join ? "join crashed" : "internal error"));
        }
    }

    private async Task LeaveJoined()
    {
        if (_joined is not { } joined) return;
        _joined = null;
        await joined.TerminateAsync();
    }

    private TopicChannel Create(string? joinRef) => _parsed.Kind switch
    {
        TopicKind.Call => new CallChannel(_socket, _topic, _parsed, joinRef),
        TopicKind.Presence => new PresenceChannel(_socket, _topic, _parsed, joinRef),
        _ => new EventChannel(_socket, _topic, _parsed, joinRef),
    };
}
