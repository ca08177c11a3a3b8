using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Voki.Media.Client;
using Voki.Tests.Infrastructure;
using Voki.Tests.Media;
using Voki.Tests.Realtime;

namespace Voki.Tests.Api;

/// <summary>
/// GET /api/v1/calls/:id/quality (issue 13 item 3): a call whose customer's uplink loses a fifth of its video, both
/// parties client-mode peers negotiating through the call's channel; the figures live, then the summary kept with the
/// call after it completed, also once its grain was collected and read back from its state.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class CallQualityTests(VokiApp app)
{
    [Fact]
    public async Task Supervisors_see_each_participants_loss_live_and_the_kept_summary_after_completion()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (attendant, attendantId) = await s.Staff("attendant", department);
        var (supervisor, _) = await s.Staff("supervisor");
        var customer = await s.Customer(department, "Paula Mendes");
        var callId = customer.CallId;
        var topic = $"call:{callId}";
        var path = $"/api/v1/calls/{callId}/quality";
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/assign", new { })).Status);

        // Before any media: no participants yet.
        var before = await supervisor.Get(path);
        Assert.Equal(HttpStatusCode.OK, before.Status);
        Assert.Equal((callId, "queued", false), (before.Data["call_id"]!.GetValue<string>(), before.Data["status"]!.GetValue<string>(), before.Data["live"]!.GetValue<bool>()));
        Assert.Empty(before.Data["participants"]!.AsArray());

        using var customerPeer = new SyntheticPeer { UplinkVideoLoss = 0.2, LossSeed = 5, AnswerNacks = false };
        using var attendantPeer = new SyntheticPeer();
        await using var customerSocket = await PhoenixTestClient.Connect(app, customer.SocketToken);
        await using var attendantSocket = await PhoenixTestClient.Connect(app, attendant.Token!);
        foreach (var (socket, peer) in new[] { (customerSocket, customerPeer), (attendantSocket, attendantPeer) })
        {
            Assert.Equal("ok", (await socket.Join(topic)).Status);
            Assert.Equal("ok", (await socket.Push(topic, "signal", new { type = "offer", sdp = peer.CreateOffer() })).Status);
            await peer.ConnectAsync((await socket.Next(topic, "signal", f => f.Text("type") == "answer")).Text("sdp"), TimeSpan.FromSeconds(10));
        }
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/start")).Status);
        await SyntheticMedia.PublishAsync([customerPeer, attendantPeer], TimeSpan.FromSeconds(4), videoEvery: 1);

        // The figures are the SFU's per-second samples: the last second sent shows within one more.
        var dropped = Interlocked.Read(ref customerPeer.VideoPacketsDropped);
        ApiResponse live = null!;
        await Eventually.Holds(async () =>
        {
            live = await supervisor.Get(path);
            return live.Status == HttpStatusCode.OK && Participant(live, "customer")["uplink"]!["packets_lost"]!.GetValue<long>() >= dropped - 3;
        }, TimeSpan.FromSeconds(5), "the last second's sample");
        Assert.Equal(("active", true), (live.Data["status"]!.GetValue<string>(), live.Data["live"]!.GetValue<bool>()));
        var (liveCustomer, liveAttendant) = (Participant(live, "customer"), Participant(live, attendantId));
        Assert.Equal(("customer", "Paula Mendes"), (liveCustomer["role"]!.GetValue<string>(), liveCustomer["name"]!.GetValue<string>()));
        Assert.Equal("attendant", liveAttendant["role"]!.GetValue<string>());
        foreach (var p in new[] { liveCustomer, liveAttendant })
        {
            Assert.True(p["connected"]!.GetValue<bool>());
            Assert.InRange(p["measured_seconds"]!.GetValue<double>(), 2, 8);
            Assert.Contains(p["quality"]!.GetValue<string>(), new[] { "good", "fair", "poor" });
            foreach (var key in new[] { "loss", "jitter_ms", "bitrate" }) Assert.NotNull(p["uplink"]![key]!["average"]);
            foreach (var key in new[] { "loss", "jitter_ms", "round_trip_ms", "bitrate" }) Assert.NotNull(p["downlink"]![key]);
            Assert.NotNull(p["downlink"]!["layers"]!.AsArray());
            Assert.NotNull(p["uplink"]!["frozen_seconds"]);
        }
        // Video is half the packets, a fifth of it dropped: about a tenth of everything; the attendant's uplink is clean.
        var customerUplink = liveCustomer["uplink"]!;
        Assert.InRange(customerUplink["packets_lost"]!.GetValue<long>(), dropped - 3, dropped);
        Assert.InRange(customerUplink["loss_total"]!.GetValue<double>(), 0.05, 0.16);
        Assert.InRange(customerUplink["loss"]!["current"]!.GetValue<double>(), 0.04, 0.18);
        Assert.Equal(customerUplink["packets_lost"]!.GetValue<long>(), customerUplink["packets_unrecovered"]!.GetValue<long>()); // it never resends
        Assert.Equal(0, liveAttendant["uplink"]!["packets_lost"]!.GetValue<long>());
        Assert.Equal(0.0, liveAttendant["uplink"]!["loss"]!["current"]!.GetValue<double>());
        Assert.True(liveAttendant["uplink"]!["bytes"]!.GetValue<long>() > 0 && liveAttendant["uplink"]!["bitrate"]!["current"]!.GetValue<double>() > 10_000);
        Assert.Equal("poor", liveCustomer["quality"]!.GetValue<string>()); // 10 % loss is past 5 %

        // The node's metrics have each participant's seconds in histograms by direction, with no tenant, call or participant.
        var metrics = await app.CreateClient().GetStringAsync("/metrics");
        var quality = metrics.Split('\n').Where(l => l.StartsWith("voki_media_participant_", StringComparison.Ordinal)).ToList();
        Assert.Contains(quality, l => l.Contains("loss") && l.Contains("_bucket{") && l.Contains("direction=\"uplink\""));
        Assert.Contains(quality, l => l.Contains("jitter") && l.Contains("_count{") && l.Contains("direction=\"uplink\""));
        Assert.Contains(quality, l => l.Contains("bitrate") && l.Contains("direction=\"downlink\""));
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("voki_media_received_bytes_total", StringComparison.Ordinal));
        Assert.DoesNotContain(s.Tenant, metrics);
        Assert.DoesNotContain(callId, metrics);
        Assert.DoesNotContain(attendantId, metrics);

        // Supervisor and above only: the attendant on the call is refused; another tenant does not see it.
        var refused = await attendant.Get(path);
        Assert.Equal((HttpStatusCode.Forbidden, "Forbidden"), (refused.Status, refused.Detail));
        var stranger = await Scenario.SignUp(app.CreateClient());
        var foreign = await stranger.Owner.Get(path);
        Assert.Equal((HttpStatusCode.NotFound, "Call not found"), (foreign.Status, foreign.Detail));

        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/complete", new { })).Status);
        await Check(await s.Owner.Get(path));
        // The summary is the grain's state: it outlives the activation.
        await app.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await Check(await s.Owner.Get(path));

        Task Check(ApiResponse kept)
        {
            Assert.Equal(HttpStatusCode.OK, kept.Status);
            Assert.Equal(("completed", false), (kept.Data["status"]!.GetValue<string>(), kept.Data["live"]!.GetValue<bool>()));
            var (keptCustomer, keptAttendant) = (Participant(kept, "customer"), Participant(kept, attendantId));
            Assert.False(keptCustomer["connected"]!.GetValue<bool>());
            Assert.Null(keptCustomer["uplink"]!["loss"]!["current"]);
            Assert.True(keptCustomer["uplink"]!["packets_lost"]!.GetValue<long>() >= customerUplink["packets_lost"]!.GetValue<long>());
            Assert.InRange(keptCustomer["uplink"]!["loss"]!["average"]!.GetValue<double>(), 0.04, 0.18);
            Assert.InRange(keptCustomer["uplink"]!["loss_total"]!.GetValue<double>(), 0.05, 0.16);
            Assert.Equal(0, keptAttendant["uplink"]!["packets_lost"]!.GetValue<long>());
            Assert.Equal("poor", keptCustomer["quality"]!.GetValue<string>());
            Assert.Empty(keptCustomer["downlink"]!["layers"]!.AsArray());
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task The_openapi_document_describes_the_route_its_definitions_and_its_figures()
    {
        var document = JsonNode.Parse(await app.CreateClient().GetStringAsync("/openapi/v1.json"))!;
        var get = document["paths"]!["/api/v1/calls/{id}/quality"]?["get"];
        Assert.NotNull(get);
        var summary = get["summary"]!.GetValue<string>();
        foreach (var said in new[] { "500 ms", "2 % loss", "30 ms jitter", "200 ms round trip", "5 %, 60 ms or 400 ms", "the first time they were sent", "another tenant" })
            Assert.Contains(said, summary);
        var schemas = document["components"]!["schemas"]!;
        Assert.Equal(["call_id", "status", "live", "measured_at", "participants"], schemas["CallQualityView"]!["properties"]!.AsObject().Select(p => p.Key));
        var uplink = schemas["UplinkFigures"]!["properties"]!.AsObject().Select(p => p.Key).ToList();
        foreach (var field in new[] { "loss", "jitter_ms", "bitrate", "packets_lost", "loss_total", "packets_unrecovered", "freezes", "frozen_seconds" }) Assert.Contains(field, uplink);
        var downlink = schemas["DownlinkFigures"]!["properties"]!.AsObject().Select(p => p.Key).ToList();
        foreach (var field in new[] { "loss", "jitter_ms", "round_trip_ms", "bitrate", "keyframe_requests", "layers" }) Assert.Contains(field, downlink);
    }

    private static JsonNode Participant(ApiResponse report, string participantId) =>
        report.Data["participants"]!.AsArray().Single(p => p!["participant_id"]!.GetValue<string>() == participantId)!;
}
