using System.Text.Json;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.Realtime;

namespace Voki.Api.Realtime;

/// <summary>
/// <c>call:{call_id}</c> (reference §3.3): signalling between a browser and the call's SFU session, and
/// call control. Joining announces <c>participant_joined</c> to the others; leaving (or the socket
/// closing) announces <c>participant_left</c> and ends the participant's media; when the call ends, the call
/// grain announces <c>participant_left</c> for everyone in its media session, then <c>call_ended</c>. <c>signal</c> goes to
/// <see cref="ICallGrain.Negotiate"/>: an offer is answered with <c>signal {type:"answer"}</c> to this
/// socket after the ok; the SFU's own offers arrive on the call's stream addressed to one participant.
/// The grain answers only once the call is taken: the customer and the assignee once it is assigned, a supervisor
/// once it is active and they sent <c>join</c> (subscribing to the topic alone, a supervisor follows its events only).
/// </summary>
public sealed class CallChannel(PhoenixSocket socket, string topic, ChannelTopic parsed, string? joinRef)
    : TopicChannel(socket, topic, parsed, joinRef)
{
    private const int MaxSdpLength = 128 * 1024;
    private static readonly HashSet<string> PerParticipantEvents = ["participant_joined", "participant_left", "mute"];

    private Participant? _me;
    // The SFU's own offer to this participant must reach it after our answer to its offer (JSEP, RFC 8829 §4.1.8:
    // an offer arriving in have-local-offer is glare): offers for it are held while one of its offers is answered.
    private readonly object _signalGate = new();
    private int _answering;
    private readonly List<RealtimeEvent> _heldOffers = [];
    private volatile bool _callEnded;

    private ICallGrain Call => Services.Grains.GetGrain<ICallGrain>(StreamKey);

    protected override string? OwnParticipantId => _me?.Id;

    public override async Task<ChannelReply> JoinAsync(JsonElement payload)
    {
        if (await Services.Authorization.CallParticipant(Who, Parsed.Id) is not var (call, me)) return ChannelReply.Failure(ChannelReply.Unauthorized);
        // A staff member other than the assignee follows (and may join) someone else's call: audited before they see
        // anything of it, awaited like every audited access; the join fails if the row cannot be written.
        if (me.Role == ChannelAuthorization.MonitorRole)
            await Services.Audit.LiveJoinAsync(Who.Tenant, call.Id, Who.UserId!.Value, Who.Role, ClientIp, call.Status);
        _me = me;
        await FollowStreamAsync();
        return ChannelReply.Success(new { participant_id = me.Id, role = me.Role, name = me.Name, call_id = call.Id, status = call.Status, user_id = call.UserId }) with
        {
            Then = () => PublishAsync(RealtimePublisher.Event("participant_joined", Describe(me))),
        };
    }

    public override Task<ChannelReply> HandleInAsync(string @event, JsonElement payload) => @event switch
    {
        "signal" => Signal(payload),
        "ice_candidate" => Task.FromResult(IceCandidate(payload)),
        "mute" => Mute(payload),
        "join" => JoinMedia(),
        _ => base.HandleInAsync(@event, payload),
    };

    /// <summary>A supervisor asks for the call's media (reference §3.2 <c>join</c>); then their offers are answered.</summary>
    private async Task<ChannelReply> JoinMedia()
    {
        if (await Call.JoinMedia(_me!) is not { } failure) return ChannelReply.Success(new { participant_id = _me!.Id, role = _me.Role });
        return ChannelReply.Failure(failure.Kind == FailureKind.Forbidden ? ChannelReply.Unauthorized : failure.Detail ?? "refused");
    }

    private async Task<ChannelReply> Signal(JsonElement payload)
    {
        var type = Text(payload, "type");
        if (type is not ("offer" or "answer")) return ChannelReply.Failure("type must be offer or answer");
        var sdp = Text(payload, "sdp");
        if (string.IsNullOrWhiteSpace(sdp) || sdp.Length > MaxSdpLength) return ChannelReply.Failure("sdp is invalid");
        if (type == "offer") lock (_signalGate) _answering++;
        Outcome<string?> outcome;
        try
        {
            outcome = await Call.Negotiate(_me!, type, sdp);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Services.Logger.LogWarning(e, "Negotiate failed for call {Call}", Parsed.Id);
            if (type == "offer") Answered();
            return ChannelReply.Failure("media unavailable, retry shortly");
        }
        if (type == "offer" && outcome.Failure is null && outcome.Value is { } answer)
            return ChannelReply.Success() with
            {
                Then = () =>
                {
                    Push("signal", JsonSerializer.Serialize(new { type = "answer", sdp = answer }));
                    Answered();
                    return Task.CompletedTask;
                },
            };
        if (type == "offer") Answered();
        if (outcome.Failure is { } failure)
            return ChannelReply.Failure(failure.Detail ?? failure.Fields?.SelectMany(f => f.Value.Select(m => $"{f.Key} {m}")).FirstOrDefault() ?? "refused");
        return ChannelReply.Success();
    }

    /// <summary>One of this participant's offers is answered (or refused): the SFU offers held back meanwhile go out, in order.</summary>
    private void Answered()
    {
        lock (_signalGate)
        {
            if (--_answering > 0) return;
            foreach (var offer in _heldOffers) Forward(offer);
            _heldOffers.Clear();
        }
    }

    /// <summary>
    /// Trickled candidates are accepted and not needed: the SFU is ICE-lite and learns each browser's
    /// address from its STUN checks. A null or empty candidate marks the end of gathering.
    /// </summary>
    private static ChannelReply IceCandidate(JsonElement payload)
    {
        if (payload.ValueKind != JsonValueKind.Object) return ChannelReply.Failure("candidate is invalid");
        return payload.TryGetProperty("candidate", out var candidate) && candidate.ValueKind is not (JsonValueKind.String or JsonValueKind.Null)
            ? ChannelReply.Failure("candidate is invalid")
            : ChannelReply.Success();
    }

    private async Task<ChannelReply> Mute(JsonElement payload)
    {
        var type = Text(payload, "type");
        if (type is not ("audio" or "video")) return ChannelReply.Failure("type must be audio or video");
        if (payload.ValueKind != JsonValueKind.Object || !payload.TryGetProperty("muted", out var muted)
            || muted.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return ChannelReply.Failure("muted must be true or false");
        await PublishAsync(RealtimePublisher.Event("mute", new { participant_id = _me!.Id, type, muted = muted.GetBoolean() }));
        await Call.Muted(_me.Id, type, muted.GetBoolean());
        return ChannelReply.Success();
    }

    protected override async Task OnLeaveAsync()
    {
        if (_me is not { } me) return;
        try
        {
            // Once the call has ended, the call grain has already announced everyone's participant_left.
            if (!_callEnded) await PublishAsync(RealtimePublisher.Event("participant_left", Describe(me)));
            await Call.LeaveMedia(me.Id);
        }
        catch (Exception e)
        {
            Services.Logger.LogWarning(e, "Leaving call {Call} for participant {Participant} failed", Parsed.Id, me.Id);
        }
    }

    /// <summary>Targeted events go to their participant only; a participant's own join, leave and mute are not echoed back.</summary>
    protected override bool Accepts(RealtimeEvent e)
    {
        if (e.Event == "call_ended") _callEnded = true;
        if (!base.Accepts(e)) return false;
        if (e.Event == "signal" && e.TargetParticipantId is not null)
            lock (_signalGate)
                if (_answering > 0) { _heldOffers.Add(e); return false; }
        if (!PerParticipantEvents.Contains(e.Event) || _me is null) return true;
        using var document = JsonDocument.Parse(e.Payload);
        return !(document.RootElement.TryGetProperty("participant_id", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() == _me.Id);
    }

    private static object Describe(Participant p) => new { participant_id = p.Id, role = p.Role, name = p.Name };

    private static string? Text(JsonElement payload, string property) =>
        payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString() : null;
}
