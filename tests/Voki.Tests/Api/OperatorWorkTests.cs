using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Grains;
using Voki.Tests.Infrastructure;
using Voki.Tests.Recording;

namespace Voki.Tests.Api;

/// <summary>The operator's view of a node's heavy work (/api/operator/work), behind the operator credential.</summary>
[Collection(ApiCollection.Name)]
public sealed class OperatorWorkTests(VokiApp app)
{
    /// <summary>
    /// Issue 12 item 2: a recording waiting for a composition slot stays processing, and the operator sees it, with its
    /// place in the queue, on /api/operator/work (the recording object keeps exactly its documented fields); no tenant sees that.
    /// </summary>
    [Fact]
    public async Task The_operator_sees_a_recording_waiting_for_a_composition_slot_with_its_place_and_it_is_composed_once_one_frees()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "advanced");
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put("/api/v1/company", new { recording_enabled = true })).Status);
        var department = await s.Department();
        var (attendant, _) = await s.Staff("attendant", department);
        var callId = (await s.Join(department))["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/start")).Status);
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/complete")).Status);
        var operatorClient = s.Anonymous.As(VokiApp.OperatorToken, null);

        // Other jobs take every composition slot of the node.
        var slots = app.Services.GetRequiredService<CompositionSlots>();
        var held = new List<IDisposable>();
        try
        {
            for (var i = 0; i < slots.Capacity; i++) held.Add(await slots.EnterAsync($"other/{Guid.NewGuid()}", CancellationToken.None));
            await RecordingApiTests.Record(app, s.Tenant, callId);

            JsonNode? mine = null;
            await Eventually.Holds(async () =>
            {
                var work = await operatorClient.Get("/api/operator/work");
                Assert.Equal(HttpStatusCode.OK, work.Status);
                Assert.Equal(slots.Capacity, work.Data["compositions"]!["capacity"]!.GetValue<int>());
                Assert.Equal(slots.Capacity, work.Data["compositions"]!["running"]!.AsArray().Count);
                mine = work.Data["compositions"]!["waiting"]!.AsArray().SingleOrDefault(w => w!["call_id"]!.GetValue<string>() == callId);
                return mine is not null;
            }, TimeSpan.FromSeconds(10), "the recording in the composition queue");
            Assert.Equal((s.Tenant, 1), (mine!["tenant"]!.GetValue<string>(), mine["place"]!.GetValue<int>()));
            Assert.NotNull(mine["since"]);
            Assert.Equal("processing", (await s.Owner.Get($"/api/v1/calls/{callId}")).Data["recording_status"]!.GetValue<string>());
            Assert.Equal("Recording not found", (await attendant.Get($"/api/v1/calls/{callId}/recording")).Detail);

            // The operator's credential only: no tenant's token, not even the owner's.
            Assert.Equal(HttpStatusCode.Unauthorized, (await s.Owner.Get("/api/operator/work")).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.Get("/api/operator/work")).Status);
        }
        finally
        {
            foreach (var slot in held) slot.Dispose();
        }

        var ready = await RecordingApiTests.Ready(attendant, callId);
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal(["call_id", "created_at", "download_url", "duration", "file_size", "format", "id", "transcription"],
            ready.Data.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        var after = await operatorClient.Get("/api/operator/work");
        Assert.DoesNotContain(after.Data["compositions"]!["waiting"]!.AsArray(), w => w!["call_id"]!.GetValue<string>() == callId);
    }
}
