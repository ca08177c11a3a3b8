using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;

namespace Voki.Api.Endpoints;

/// <summary>A call's quality per participant as the SFU saw it (issue 13 item 3): supervisor and above, live during the call, kept after it.</summary>
public static class CallQualityEndpoints
{
    public sealed record CallQualityView(Guid CallId, string Status, bool Live, DateTime? MeasuredAt, IReadOnlyList<ParticipantCallQuality> Participants);
    public sealed record CallQualityEnvelope(CallQualityView Data);

    public const string Summary =
        "Each participant's call quality as the SFU saw it: {call_id, status, live, measured_at, participants: [{participant_id, role, name, connected, " +
        "measured_seconds, quality (good|fair|poor, null before anything was measured), uplink, downlink}]}. Live while the call has media (figures' " +
        "`current` covers the last 5 s), then the summary kept when its media ended (`current` null, `live` false; a call that never had media " +
        "has no participants). Every figure is {current, average, p95} over the 1-s receiver-report intervals measured. " +
        "uplink (what the participant publishes, as received): loss = fraction of its packets that did not arrive the first time they were sent " +
        "(the path's loss, whether or not a retransmission mended it later), packets_expected, packets_lost and loss_total over the call, " +
        "packets_unrecovered (never arrived, not even resent: what our RTCP receiver reports count lost), jitter_ms (RFC 3550 interarrival jitter " +
        "of its audio, of its video when it sends no audio), bitrate (bit/s received), bytes, freezes and frozen_seconds (a freeze: more than " +
        "500 ms between two complete frames of its camera while its packets kept coming; a simulcast camera is frozen only while none of its layers " +
        "completes frames; a frame is complete when all its packets are in and nothing it depends on was lost; a camera that stops sending is off, " +
        "not frozen), frozen (now). downlink (what it receives from us): loss from its own RTCP receiver reports about our streams, less the " +
        "gaps already in what we forwarded (what a publisher's uplink lost is that publisher's loss, not this participant's): per interval " +
        "between two reports, packets_lost over the call, loss_total of packets_sent; jitter_ms as it reports it (it includes the publisher's " +
        "path: we forward as we receive); round_trip_ms (from those " +
        "reports, RFC 3550 §6.4.1), bitrate (bit/s sent), bytes, keyframe_requests (PLI/FIR it sent: its decoder lost the picture), " +
        "layers [{publisher_id, rid, layer, layers}] (the simulcast layer of each camera it receives now, lowest 0). " +
        "quality: the worst of loss (either way), jitter (either way) and round trip: good below 2 % loss, 30 ms jitter and 200 ms round trip, " +
        "poor from 5 %, 60 ms or 400 ms, fair between; over the last 5 s while live, over the whole call in the summary. " +
        "404 {\"errors\":{\"detail\":\"Call not found\"}} for an unknown call or another tenant's.";

    public static void MapCallQualityEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/calls/{id:guid}/quality", Quality).WithTags("Calls").RequireAuthorization(Policies.Supervisor)
            .Produces<CallQualityEnvelope>().WithSummary(Summary);
    }

    private static async Task<IResult> Quality(Guid id, HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        var grain = grains.GetGrain<ICallGrain>(caller.Key(id));
        var call = (await grain.Get()).OrNotFound(CallGrain.NotFoundDetail);
        var report = await grain.Quality() ?? throw ApiException.NotFound(CallGrain.NotFoundDetail);
        return Envelope.Ok(new CallQualityView(call.Id, call.Status, report.Live, report.MeasuredAt, report.Participants));
    }
}
