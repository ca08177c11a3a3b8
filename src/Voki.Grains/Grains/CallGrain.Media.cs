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
/// </summary>
public sealed partial class CallGrain
{
    private const string DroppedEvent = "dropped", OfferEvent = "offer";
    private SfuSession? _media;
    private IGrainTimer? _keepAlive;
    /// <summary>Who negotiated media here, so participant_left can name them (role, name) when their media ends.</summary>
    private readonly Dictionary<string, Participant> _mediaParticipants = [];

    public async Task<Outcome<string?>> Negotiate(Participant participant, string type, string sdp)
    {
        if (!state.State.Exists) return Failure.NotFound("Call not found");
        if (CallStatus.IsFinal(state.State.Status)) return Failure.Invalid($"Cannot negotiate media for a call that is {state.State.Status}");
        if (ServiceProvider.GetService<MediaNode>() is not { } node) return Failure.Invalid("This node has no media plane");
        var session = Session(node);
        await CaptureIfRecorded(session);
        _mediaParticipants[participant.Id] = participant;
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
        return Task.CompletedTask;
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
        StopMedia();
        foreach (var participant in left) await AnnounceLeft(participant, "call_ended");
    }

    private void StopMedia()
    {
        _media?.Close();
        _media = null;
        _mediaParticipants.Clear();
        _keepAlive?.Dispose();
        _keepAlive = null;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        StopMedia();
        return Task.CompletedTask;
    }
}
