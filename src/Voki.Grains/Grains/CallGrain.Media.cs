using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;
using Voki.Grains.Model;
using Voki.Grains.Realtime;
using Voki.Media.Recording;
using Voki.Media.Sdp;
using Voki.Media.Sfu;

namespace Voki.Grains.Grains;

/// <summary>
/// The call's SFU session, on the node where this grain is active: the browser's SDP reaches it by a
/// grain call from whichever node holds the socket, and our offers and drops go back out as events.
/// Media starts only once someone took the call (decisions.md "Media only once the call is taken"):
/// the customer and the assignee once it is assigned, a supervisor once it is active and they joined it.
/// </summary>
public sealed partial class CallGrain
{
    private const string DroppedEvent = "dropped", OfferEvent = "offer";
    /// <summary>Refusal reasons the call's channel passes on as they are (reference §3.3 error replies).</summary>
    public const string NotAssignedReason = "call not assigned", NotActiveReason = "call not active", NotJoinedReason = "call not joined";
    private SfuSession? _media;
    private IGrainTimer? _keepAlive;
    /// <summary>Who negotiated media here, so participant_left can name them (role, name) when their media ends.</summary>
    private readonly Dictionary<string, Participant> _mediaParticipants = [];
    /// <summary>Supervisors who asked to join the active call's media; subscribing to its topic alone gives none.</summary>
    private readonly HashSet<string> _monitors = [];

    public Task<Failure?> JoinMedia(Participant participant)
    {
        if (!state.State.Exists) return Task.FromResult<Failure?>(Failure.NotFound(NotFoundDetail));
        if (IsCallParty(participant)) return Task.FromResult(state.State.UserId is null ? Failure.Invalid(NotAssignedReason) : null);
        if (participant.Role != "supervisor") return Task.FromResult<Failure?>(Failure.Forbidden());
        if (state.State.Status != CallStatus.Active) return Task.FromResult<Failure?>(Failure.Invalid(NotActiveReason));
        _monitors.Add(participant.Id);
        return Task.FromResult<Failure?>(null);
    }

    public async Task<Outcome<string?>> Negotiate(Participant participant, string type, string sdp)
    {
        if (!state.State.Exists) return Failure.NotFound("Call not found");
        if (CallStatus.IsFinal(state.State.Status)) return Failure.Invalid($"Cannot negotiate media for a call that is {state.State.Status}");
        if (MediaRefusal(participant) is { } refusal) return refusal;
        if (ServiceProvider.GetService<MediaNode>() is not { } node) return Failure.Invalid("This node has no media plane");
        var session = Session(node);
        await CaptureIfRecorded(session);
        _mediaParticipants[participant.Id] = participant;
        _qualityParticipants[participant.Id] = participant;
        try
        {
            switch (type)
            {
                case "offer":
                    var joining = session.Peer(participant.Id) is null;
                    var answer = session.AcceptOffer(participant.Id, sdp);
                    if (joining) Timeline(new TimelineEvent { Type = "join", Participant = participant.Id, Name = participant.Name, Role = participant.Role });
                    return answer;
                case "answer":
                    session.AcceptAnswer(participant.Id, sdp);
                    return (string?)null;
                default:
                    return Failure.Field("type", "must be offer or answer");
            }
        }
        catch (SdpException e)
        {
            return Failure.Invalid(e.Message);
        }
    }

    public Task LeaveMedia(string participantId)
    {
        if (_media?.Peer(participantId) is not null) Timeline(new TimelineEvent { Type = "leave", Participant = participantId });
        _media?.Remove(participantId);
        _mediaParticipants.Remove(participantId);
        _monitors.Remove(participantId);
        return Task.CompletedTask;
    }

    /// <summary>The customer, or the call's assignee whatever their role (a supervisor who took the call).</summary>
    private bool IsCallParty(Participant participant) =>
        participant.Role == "customer" || state.State.UserId is { } assignee && participant.Id == assignee.ToString();

    private Failure? MediaRefusal(Participant participant)
    {
        if (state.State.UserId is null) return Failure.Invalid(NotAssignedReason);
        if (IsCallParty(participant)) return null;
        if (state.State.Status != CallStatus.Active) return Failure.Invalid(NotActiveReason);
        return _monitors.Contains(participant.Id) ? null : Failure.Invalid(NotJoinedReason);
    }

    /// <summary>Someone whose media no longer belongs in the call (a previous assignee) leaves it, and the others hear why.</summary>
    private async Task DropFromMedia(string participantId, string reason)
    {
        var hadMedia = _media?.Peer(participantId) is not null;
        var participant = _mediaParticipants.GetValueOrDefault(participantId) ?? new Participant { Id = participantId };
        await LeaveMedia(participantId);
        if (hadMedia) await AnnounceLeft(participant, reason);
    }

    public async Task MediaEvent(string participantId, string kind, string? sdp)
    {
        if (kind == OfferEvent)
        {
            await this.PublishAsync(RealtimeStreams.Call, this.GetPrimaryKeyString(),
                new RealtimeEvent { Event = "signal", Payload = JsonSerializer.Serialize(new { type = "offer", sdp }), TargetParticipantId = participantId });
            return;
        }
        Timeline(new TimelineEvent { Type = "leave", Participant = participantId });
        if (!_mediaParticipants.Remove(participantId, out var participant)) participant = new Participant { Id = participantId };
        await AnnounceLeft(participant, sdp);
    }

    /// <summary><c>participant_left {participant_id, role, name, reason}</c> to the others in the call.</summary>
    private Task AnnounceLeft(Participant participant, string? reason) =>
        this.PublishAsync(RealtimeStreams.Call, this.GetPrimaryKeyString(), RealtimePublisher.Event("participant_left",
            new { participant_id = participant.Id, role = participant.Role, name = participant.Name, reason }));

    private SfuSession Session(MediaNode node)
    {
        if (_media is not null) return _media;
        var self = this.AsReference<ICallGrain>();
        _media = node.Session(this.GetPrimaryKeyString());
        ServiceProvider.GetService<NodeCalls>()?.MediaOpened();
        _media.OfferReady += (participant, offer) => self.MediaEvent(participant, OfferEvent, offer);
        _media.ParticipantDropped += (participant, reason) => self.MediaEvent(participant, DroppedEvent, reason);
        // The session lives in this activation: keep it from being collected while media flows.
        _keepAlive ??= this.RegisterGrainTimer(() => Task.CompletedTask,
            new GrainTimerCreationOptions { DueTime = TimeSpan.FromMinutes(1), Period = TimeSpan.FromMinutes(1), KeepAlive = true });
        return _media;
    }

    /// <summary>Completing, cancelling or missing the call ends its media for everyone: each participant leaves it.</summary>
    private async Task EndMedia()
    {
        var left = _mediaParticipants.Values.ToList();
        await KeepQuality();
        StopMedia();
        foreach (var participant in left) await AnnounceLeft(participant, "call_ended");
    }

    private void StopMedia()
    {
        if (_media is not null) ServiceProvider.GetService<NodeCalls>()?.MediaClosed();
        _media?.Close();
        _media = null;
        _mediaParticipants.Clear();
        _monitors.Clear();
        _keepAlive?.Dispose();
        _keepAlive = null;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await KeepQuality();
        StopMedia();
    }
}
