using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Voki.Tests.Cluster;

/// <summary>Timing tests: they run alone, after the parallel ones, so the two cores are theirs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}

/// <summary>
/// Two nodes on one database; one crashes (SIGKILL of its process). The survivor must keep serving
/// every call with its state intact, and during the failure window answer each request correctly
/// or with 503 + Retry-After, never 500.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterFailoverTests(ITestOutputHelper output)
{
    private static readonly string[] Kept = ["status", "user_id", "assigned_at", "started_at", "completed_at", "inserted_at", "protocol", "customer_name", "duration"];

    [Fact]
    public async Task When_a_node_crashes_the_survivor_serves_every_call_with_its_state_intact()
    {
        await using var database = await TestDatabase.CreateAsync();
        var clusterId = database.Name;
        await using var survivor = new InProcessNode(database.ConnectionString, clusterId);
        var survivorHttp = survivor.CreateClient();
        await using var victim = NodeProcess.Start(database.ConnectionString, clusterId);
        try
        {
            await Crash(survivor, survivorHttp, victim);
        }
        catch
        {
            output.WriteLine("membership as the survivor sees it: " + string.Join(", ",
                survivor.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values.Select(m => $"{m.SiloAddress} {m.Status}")));
            output.WriteLine("log of the node that crashed:\n" + victim.Log);
            throw;
        }
    }

    private async Task Crash(InProcessNode survivor, HttpClient survivorHttp, NodeProcess victim)
    {
        await victim.WaitReadyAsync(TimeSpan.FromSeconds(90));
        var membership = survivor.Services.GetRequiredService<IClusterMembershipService>();
        var self = survivor.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        await Eventually(() => membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active) == 2, TimeSpan.FromSeconds(20));
        var victimSilo = membership.CurrentSnapshot.Members.Values.Single(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(self)).SiloAddress;

        // One tenant, used through both nodes: half the links and calls are made on each.
        var s = await Scenario.SignUp(survivorHttp);
        using var victimHttp = new HttpClient { BaseAddress = victim.BaseAddress };
        var viaVictim = new ApiClient(victimHttp);
        var department = await s.Department();
        var (attendant, attendantId) = await s.Staff("attendant", department);
        ApiClient Owner(int i) => i % 2 == 0 ? s.Owner : viaVictim.As(s.Owner.Token, s.Tenant);
        ApiClient Anonymous(int i) => i % 2 == 0 ? s.Anonymous : viaVictim;
        ApiClient Attendant(int i) => i % 2 == 0 ? attendant : viaVictim.As(attendant.Token, s.Tenant);

        var grains = survivor.Services.GetRequiredService<IGrainFactory>();
        var management = grains.GetGrain<IManagementGrain>(0);
        var calls = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var link = await Owner(i).Post("/api/v1/access-links", new { department_id = department });
            Assert.Equal(HttpStatusCode.Created, link.Status);
            var joined = await Anonymous(i).Post($"/api/v1/call/{link.Data["token"]}/join", new { name = $"Customer {i}" });
            Assert.Equal(HttpStatusCode.OK, joined.Status);
            var id = joined.Data["call_id"]!.GetValue<string>();
            calls.Add(id);
            // Every state a call can be in when its node dies: queued, assigned, active, completed, cancelled.
            var state = i % 5;
            if (state is 1 or 2 or 3) Assert.Equal(HttpStatusCode.OK, (await Attendant(i + 1).Post($"/api/v1/calls/{id}/assign", new { })).Status);
            if (state is 2 or 3) Assert.Equal(HttpStatusCode.OK, (await Attendant(i).Post($"/api/v1/calls/{id}/start")).Status);
            if (state is 3) Assert.Equal(HttpStatusCode.OK, (await Attendant(i + 1).Post($"/api/v1/calls/{id}/complete", new { notes = "ok" })).Status);
            if (state is 4) Assert.Equal(HttpStatusCode.OK, (await Owner(i).Post($"/api/v1/calls/{id}/cancel")).Status);
        }
        // Orleans placed the grains as it saw fit (often all on one node); move them so that each state has
        // one call on each node: even calls on the survivor, odd ones on the node that will crash.
        for (var i = 0; i < calls.Count; i++) await MoveTo(calls[i], i % 2 == 0 ? self : victimSilo);
        var onVictim = calls.Where((_, i) => i % 2 == 1).ToList();

        var before = new Dictionary<string, JsonNode>();
        foreach (var id in calls) before[id] = Snapshot((await s.Owner.Get($"/api/v1/calls/{id}")).Data);

        // Customers waiting in a department with a short max_wait_time, queued just before the crash: their
        // wait-limit reminders live on whichever node owns the reminder's range, the crashing one included.
        var hurried = await s.Department(new { name = "Plantão", max_wait_time = 5 });
        var waiting = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var link = await Owner(1).Post("/api/v1/access-links", new { department_id = hurried });
            waiting.Add((await viaVictim.Post($"/api/v1/call/{link.Data["token"]}/join", new { name = $"Waiting {i}" })).Data["call_id"]!.GetValue<string>());
        }
        var waitingSince = Stopwatch.StartNew();

        // Readers hammer every call on the survivor while the other node dies.
        var answers = new ConcurrentQueue<(TimeSpan At, TimeSpan Took, string Call, ApiResponse Response)>();
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(async () =>
        {
            for (var n = r; !stop.IsCancellationRequested; n++)
            {
                var id = calls[n % calls.Count];
                var at = clock.Elapsed;
                var response = await s.Owner.Get($"/api/v1/calls/{id}");
                answers.Enqueue((at, clock.Elapsed - at, id, response));
            }
        })).ToArray();

        TimeSpan killedAt, declaredDead;
        string queuedOnVictim;
        ApiResponse started;
        List<HttpStatusCode> writes;
        try
        {
            await Task.Delay(300);

            victim.Crash();
            killedAt = clock.Elapsed;
            // A write in the window: start a queued call that lived on the dead node, as a client would, honouring Retry-After.
            queuedOnVictim = onVictim.First(id => before[id]["status"]!.GetValue<string>() == "queued");
            var write = Task.Run(async () =>
            {
                var tries = new List<HttpStatusCode>();
                while (true)
                {
                    var response = await attendant.Post($"/api/v1/calls/{queuedOnVictim}/start");
                    tries.Add(response.Status);
                    if (response.Status != HttpStatusCode.ServiceUnavailable || tries.Count > 20) return (response, tries);
                    Assert.NotNull(response.Message.Headers.RetryAfter?.Delta);
                    await Task.Delay(response.Message.Headers.RetryAfter!.Delta!.Value);
                }
            });
            await Eventually(() => membership.CurrentSnapshot.GetSiloStatus(victimSilo) == SiloStatus.Dead, TimeSpan.FromSeconds(30));
            declaredDead = clock.Elapsed - killedAt;
            (started, writes) = await write;

            // Readers go on until every call has answered 200 after the death was declared.
            await Eventually(() =>
            {
                var late = answers.Where(a => a.At > killedAt + declaredDead).ToArray();
                return calls.All(id => late.Any(a => a.Call == id && a.Response.Status == HttpStatusCode.OK));
            }, TimeSpan.FromSeconds(30));
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(readers);
        }

        var window = answers.Where(a => a.At + a.Took >= killedAt).ToArray();
        var unavailable = window.Count(a => a.Response.Status == HttpStatusCode.ServiceUnavailable);
        output.WriteLine($"crashed node declared dead after {declaredDead.TotalSeconds:F2} s");
        output.WriteLine($"{window.Length} reads from the crash on: {window.Length - unavailable} × 200, {unavailable} × 503, slowest {window.Max(a => a.Took).TotalSeconds:F2} s");
        output.WriteLine($"the write started at the crash answered: {string.Join(", ", writes.Select(c => (int)c))}");

        foreach (var (at, _, id, response) in window)
        {
            Assert.True(response.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable,
                $"GET call {id} at {at.TotalSeconds:F2} s answered {(int)response.Status}: {response.Body?.ToJsonString()}");
            if (response.Status == HttpStatusCode.ServiceUnavailable)
                Assert.True(response.Message.Headers.RetryAfter is not null, "503 without Retry-After");
            else if (id != queuedOnVictim)
                Assert.Equal(before[id].ToJsonString(), Snapshot(response.Data).ToJsonString());
        }
        Assert.All(writes.SkipLast(1), code => Assert.Equal(HttpStatusCode.ServiceUnavailable, code));
        Assert.True(declaredDead < TimeSpan.FromSeconds(5), $"the crashed node was declared dead only after {declaredDead.TotalSeconds:F1} s");

        // The queued customers of the dead node still turn missed once they have waited max_wait_time.
        await Eventually(async () => (await Task.WhenAll(waiting.Select(id => s.Owner.Get($"/api/v1/calls/{id}"))))
            .All(r => r.Data["status"]!.GetValue<string>() == "missed"), TimeSpan.FromSeconds(20));
        output.WriteLine($"queued calls past max_wait_time (5 s) all missed {waitingSince.Elapsed.TotalSeconds:F1} s after joining");

        // Afterwards every call is served by the survivor, as it was.
        Assert.Equal(HttpStatusCode.OK, started.Status);
        Assert.Equal("active", started.Data["status"]!.GetValue<string>());
        Assert.Equal(attendantId, started.Data["user_id"]!.GetValue<string>());
        Assert.Equal(before[queuedOnVictim]["inserted_at"]!.ToJsonString(), started.Data["inserted_at"]!.ToJsonString());
        foreach (var id in calls.Where(id => id != queuedOnVictim))
            Assert.Equal(before[id].ToJsonString(), Snapshot((await s.Owner.Get($"/api/v1/calls/{id}")).Data).ToJsonString());
        Assert.All(await Locations(calls), silo => Assert.Equal(self, silo));
        // The list (read model) agrees with the grains.
        var listed = (await s.Owner.Get("/api/v1/calls?page_size=100")).Data.AsArray()
            .ToDictionary(c => c!["id"]!.GetValue<string>(), c => c!["status"]!.GetValue<string>());
        Assert.Equal(calls.Count + waiting.Count, listed.Count);
        foreach (var id in calls) Assert.Equal(id == queuedOnVictim ? "active" : before[id]["status"]!.GetValue<string>(), listed[id]);
        Assert.All(waiting, id => Assert.Equal("missed", listed[id]));

        async Task<SiloAddress?[]> Locations(List<string> ids) => await Task.WhenAll(ids.Select(id =>
            management.GetActivationAddress(CallGrain(id)).AsTask()));

        ICallGrain CallGrain(string id) => grains.GetGrain<ICallGrain>(TenantKey.For(s.Tenant, Guid.Parse(id)));

        async Task MoveTo(string id, SiloAddress silo)
        {
            if (silo.Equals(await management.GetActivationAddress(CallGrain(id)))) return;
            RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
            try { await CallGrain(id).Cast<IGrainManagementExtension>().MigrateOnIdle(); }
            finally { RequestContext.Clear(); }
            await Eventually(async () => silo.Equals(await management.GetActivationAddress(CallGrain(id))), TimeSpan.FromSeconds(10));
        }
    }

    private static JsonNode Snapshot(JsonNode call)
    {
        var kept = new JsonObject();
        foreach (var field in Kept) kept[field] = call[field]?.DeepClone();
        return kept;
    }

    private static Task Eventually(Func<bool> condition, TimeSpan timeout) => Eventually(() => Task.FromResult(condition()), timeout);

    private static async Task Eventually(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"condition not met within {timeout}");
            await Task.Delay(20);
        }
    }
}
