using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Tests.Infrastructure;
using Voki.Tests.Recording;
using Xunit.Abstractions;

namespace Voki.Tests.Cluster;

/// <summary>
/// Issue 12 item 3: recordings are composed on whichever jobs node has room, reading the capture from the recordings root
/// the nodes share; a node can be media only or jobs only; a composition whose node dies is finished by another without
/// spending an attempt; with a root of each node's own, the work stays where the capture is. Two nodes each: one in this
/// process (A), one a process of its own (B), so it can be killed for real. Real PostgreSQL, FFmpeg and silos.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class WorkAcrossNodesTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    private sealed class TwoNodes : IAsyncDisposable
    {
        public required TestDatabase Database { get; init; }
        public required InProcessNode A { get; init; }
        public required HttpClient AHttp { get; init; }
        public required NodeProcess B { get; init; }
        public required SiloAddress ASilo { get; init; }
        public required SiloAddress BSilo { get; init; }
        public required List<string> Roots { get; init; }
        public IGrainFactory Grains => A.Services.GetRequiredService<IGrainFactory>();

        public async ValueTask DisposeAsync()
        {
            await B.DisposeAsync();
            await A.DisposeAsync();
            await Database.DisposeAsync();
            if (Environment.GetEnvironmentVariable("VOKI_KEEP") is null)
                foreach (var root in Roots.Distinct().Where(Directory.Exists)) Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<TwoNodes> Start(Dictionary<string, string> a, Dictionary<string, string> b, List<string> roots)
    {
        var database = await TestDatabase.CreateAsync();
        var nodeA = new InProcessNode(database.ConnectionString, database.Name, a);
        var http = nodeA.CreateClient();
        var nodeB = NodeProcess.Start(database.ConnectionString, database.Name, b);
        await nodeB.WaitReadyAsync(TimeSpan.FromSeconds(90));
        var membership = nodeA.Services.GetRequiredService<IClusterMembershipService>();
        var self = nodeA.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        await Eventually.Holds(() => membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active) == 2,
            TimeSpan.FromSeconds(30), "both nodes active");
        var other = membership.CurrentSnapshot.Members.Values.Single(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(self)).SiloAddress;
        var nodes = new TwoNodes { Database = database, A = nodeA, AHttp = http, B = nodeB, ASilo = self, BSilo = other, Roots = roots };
        // Each node knows the other's roles (silo metadata) before anything is placed.
        var operatorClient = new ApiClient(http).As(VokiApp.OperatorToken, null);
        await Eventually.Holds(async () =>
        {
            var work = await operatorClient.Get("/api/operator/work");
            return work.Status == HttpStatusCode.OK && work.Data["cluster"]!.AsArray().Count(n => n!["answered"]!.GetValue<bool>()) == 2;
        }, TimeSpan.FromSeconds(30), "both nodes in the operator's work view");
        return nodes;
    }

    private static string Root(string what) => Path.Combine(Path.GetTempPath(), $"voki-test-{what}-{Guid.NewGuid():N}");

    private static Dictionary<string, string> Settings(string root, bool shared, string roles = "media,jobs") => new()
    {
        ["Recordings:Root"] = root,
        ["Recordings:Shared"] = shared ? "true" : "false",
        ["Recordings:CompositionSlots"] = "1",
        ["Node:Roles"] = roles,
    };

    /// <summary>A two-party capture of <paramref name="seconds"/> under <paramref name="root"/> and its recording grain, not begun yet.</summary>
    private static async Task<(IRecordingGrain Grain, RecordingRequest Request)> Captured(TwoNodes nodes, string root, string tenant, double seconds, string? holder = null)
    {
        var callId = Guid.NewGuid();
        var directory = Path.Combine(root, tenant, callId.ToString());
        var capture = Path.Combine(directory, "capture");
        await SyntheticCapture.WriteAsync(capture,
        [
            new SyntheticParty { Id = "customer", Name = "Carlos", Join = 0, AudioStart = 0.1, VideoStart = 0.1, Leave = seconds, VideoWidth = 160, VideoHeight = 120, AudioSsrc = 11, VideoSsrc = 12 },
            new SyntheticParty { Id = "attendant", Name = "Ana", Role = "attendant", Join = 0.5, AudioStart = 0.6, VideoStart = 0.6, Leave = seconds, VideoWidth = 160, VideoHeight = 120, AudioSsrc = 21, VideoSsrc = 22 },
        ], end: seconds);
        var grain = nodes.Grains.GetGrain<IRecordingGrain>(TenantKey.For(tenant, callId));
        return (grain, new RecordingRequest { CaptureDirectory = capture, OutputPath = Path.Combine(directory, "recording.webm"), RetentionDays = 30, HolderNode = holder });
    }

    private static async Task<IReadOnlyList<Voki.Grains.Model.Recording>> AllReady(IEnumerable<IRecordingGrain> grains)
    {
        var list = grains.ToList();
        Voki.Grains.Model.Recording[] recordings = [];
        await Eventually.Holds(async () =>
        {
            // While a killed node is not yet declared dead, a grain that was active there cannot be reached.
            try { recordings = (await Task.WhenAll(list.Select(g => g.Get())))!; }
            catch (Exception e) when (e is OrleansMessageRejectionException or SiloUnavailableException or TimeoutException) { return false; }
            Assert.All(recordings, r => Assert.NotEqual(RecordingStatus.Failed, r.Status));
            return recordings.All(r => r.Status == RecordingStatus.Ready);
        }, Patience, "every recording ready");
        return recordings;
    }

    private async Task Run(TwoNodes nodes, Func<Task> test)
    {
        try { await test(); }
        catch
        {
            output.WriteLine("log of node B:\n" + nodes.B.Log);
            throw;
        }
    }

    [Fact]
    public async Task A_burst_of_completed_recordings_under_a_shared_root_is_composed_on_both_nodes_and_the_operator_sees_where()
    {
        var shared = Root("shared-recordings");
        await using var nodes = await Start(Settings(shared, true), Settings(shared, true), [shared]);
        await Run(nodes, async () =>
        {
            var s = await Scenario.SignUp(nodes.AHttp, plan: "advanced");
            var calls = new List<(IRecordingGrain Grain, RecordingRequest Request)>();
            for (var i = 0; i < 6; i++) calls.Add(await Captured(nodes, shared, s.Tenant, 3.5, nodes.ASilo.Endpoint.ToString()));

            // Every call ended on node A, whose call grains hand their captures over there, all at once.
            await Task.WhenAll(calls.Select(c => c.Grain.Begin(c.Request)));
            var ready = await AllReady(calls.Select(c => c.Grain));

            var composedBy = ready.GroupBy(r => r.ComposedBy).ToDictionary(g => g.Key!, g => g.Select(r => r.CallId).ToHashSet());
            output.WriteLine(string.Join("; ", composedBy.Select(c => $"{c.Key}: {c.Value.Count}")));
            Assert.Equal(new[] { nodes.ASilo.Endpoint.ToString(), nodes.BSilo.Endpoint.ToString() }.Order(), composedBy.Keys.Order());
            Assert.All(ready, r => Assert.Equal((1, (string?)null), (r.Attempts, r.FailureReason)));
            Assert.All(calls, c => Assert.True(new FileInfo(c.Request.OutputPath).Length > 1000));

            // The operator sees, from either node, each node's roles and the compositions it ran (once each has given its
            // slot back, just after the recording turned ready).
            var operatorClient = new ApiClient(nodes.AHttp).As(VokiApp.OperatorToken, null);
            JsonArray cluster = [];
            await Eventually.Holds(async () =>
            {
                var work = await operatorClient.Get("/api/operator/work");
                Assert.Equal(HttpStatusCode.OK, work.Status);
                cluster = work.Data["cluster"]!.AsArray();
                return cluster.All(n => n!["compositions"]!["running"]!.AsArray().Count == 0);
            }, TimeSpan.FromSeconds(10), "every composition slot given back");
            Assert.Equal(2, cluster.Count);
            foreach (var node in cluster)
            {
                Assert.Equal(["media", "jobs"], node!["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
                var ran = node["compositions"]!["recent"]!.AsArray().Select(j => Guid.Parse(j!["call_id"]!.GetValue<string>())).ToHashSet();
                Assert.True(composedBy[node["silo"]!.GetValue<string>()].SetEquals(ran), $"{node["silo"]} ran {string.Join(", ", ran)}");
            }
        });
    }

    [Fact]
    public async Task A_jobs_only_node_composes_every_recording_and_hosts_no_call_and_a_media_only_node_composes_none()
    {
        var shared = Root("shared-recordings");
        await using var nodes = await Start(Settings(shared, true, "media"), Settings(shared, true, "jobs"), [shared]);
        await Run(nodes, async () =>
        {
            var s = await Scenario.SignUp(nodes.AHttp, plan: "advanced");
            using var bHttp = new HttpClient { BaseAddress = nodes.B.BaseAddress };
            var viaB = new ApiClient(bHttp);
            var department = await s.Department();

            // Calls joined through either node's API: every call grain (and so its SFU session) is on the media node.
            var management = nodes.Grains.GetGrain<IManagementGrain>(0);
            for (var i = 0; i < 6; i++)
            {
                var anonymous = i % 2 == 0 ? s.Anonymous : viaB;
                var owner = i % 2 == 0 ? s.Owner : viaB.As(s.Owner.Token, s.Tenant);
                var link = await owner.Post("/api/v1/access-links", new { department_id = department });
                Assert.Equal(HttpStatusCode.Created, link.Status);
                var joined = await anonymous.Post($"/api/v1/call/{link.Data["token"]}/join", new { name = $"Customer {i}" });
                Assert.Equal(HttpStatusCode.OK, joined.Status);
                var call = nodes.Grains.GetGrain<ICallGrain>(TenantKey.For(s.Tenant, Guid.Parse(joined.Data["call_id"]!.GetValue<string>())));
                Assert.Equal(nodes.ASilo, await management.GetActivationAddress(call));
            }

            var calls = new List<(IRecordingGrain Grain, RecordingRequest Request)>();
            for (var i = 0; i < 3; i++) calls.Add(await Captured(nodes, shared, s.Tenant, 3.5, nodes.ASilo.Endpoint.ToString()));
            await Task.WhenAll(calls.Select(c => c.Grain.Begin(c.Request)));
            var ready = await AllReady(calls.Select(c => c.Grain));
            Assert.All(ready, r => Assert.Equal((nodes.BSilo.Endpoint.ToString(), 1), (r.ComposedBy, r.Attempts)));

            var work = await viaB.As(VokiApp.OperatorToken, null).Get("/api/operator/work");
            Assert.Equal(["jobs"], work.Data["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
            var media = work.Data["cluster"]!.AsArray().Single(n => n!["silo"]!.GetValue<string>() == nodes.ASilo.Endpoint.ToString())!;
            Assert.Equal(["media"], media["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
            Assert.Empty(media["compositions"]!["recent"]!.AsArray());
        });
    }

    [Fact]
    public async Task A_recording_waiting_for_a_busy_node_s_slot_moves_to_a_node_with_a_free_one_without_spending_an_attempt()
    {
        var shared = Root("shared-recordings");
        await using var nodes = await Start(Settings(shared, true), Settings(shared, true), [shared]);
        await Run(nodes, async () =>
        {
            var s = await Scenario.SignUp(nodes.AHttp, plan: "advanced");
            var slots = nodes.A.Services.GetRequiredService<CompositionSlots>();
            var (grain, request) = await Captured(nodes, shared, s.Tenant, 3.5, nodes.ASilo.Endpoint.ToString());
            var job = grain.GetPrimaryKeyString();
            // Another job holds A's only slot for the whole test; the recording begins on A (as placed before B freed up).
            using var held = await slots.EnterAsync("other/" + Guid.NewGuid(), CancellationToken.None);
            RequestContext.Set(IPlacementDirector.PlacementHintKey, nodes.ASilo);
            try { await grain.Begin(request); }
            finally { RequestContext.Clear(); }
            await Eventually.Holds(() => slots.PlaceOf(job) == 1, TimeSpan.FromSeconds(10), "the recording waiting first in A's queue");

            var ready = (await AllReady([grain])).Single();
            Assert.Equal((nodes.BSilo.Endpoint.ToString(), 1, (string?)null), (ready.ComposedBy, ready.Attempts, ready.FailureReason));
            Assert.Null(slots.PlaceOf(job));
        });
    }

    [Fact]
    public async Task When_the_node_composing_a_recording_is_killed_another_finishes_it_without_spending_an_attempt()
    {
        var shared = Root("shared-recordings");
        await using var nodes = await Start(Settings(shared, true), Settings(shared, true, "jobs"), [shared]);
        await Run(nodes, async () =>
        {
            var s = await Scenario.SignUp(nodes.AHttp, plan: "advanced");
            var (grain, request) = await Captured(nodes, shared, s.Tenant, 60, nodes.ASilo.Endpoint.ToString());
            var job = grain.GetPrimaryKeyString();

            // Placed on B (as when B had the most room), which starts composing it.
            RequestContext.Set(IPlacementDirector.PlacementHintKey, nodes.BSilo);
            try { await grain.Begin(request); }
            finally { RequestContext.Clear(); }
            var operatorClient = new ApiClient(nodes.AHttp).As(VokiApp.OperatorToken, null);
            await Eventually.Holds(async () =>
            {
                var work = await operatorClient.Get("/api/operator/work");
                var b = work.Data["cluster"]!.AsArray().Single(n => n!["silo"]!.GetValue<string>() == nodes.BSilo.Endpoint.ToString())!;
                return b["compositions"]!["running"]!.AsArray().Any(j => j!["call_id"]!.GetValue<string>() == TenantKey.IdOf(job).ToString());
            }, TimeSpan.FromSeconds(30), "the composition running on B");
            await Task.Delay(TimeSpan.FromSeconds(2)); // FFmpeg under way
            Assert.Equal(RecordingStatus.Processing, (await grain.Get())!.Status);

            var clock = Stopwatch.StartNew();
            nodes.B.Crash();
            var ready = (await AllReady([grain])).Single();
            output.WriteLine($"ready on {ready.ComposedBy} {clock.Elapsed.TotalSeconds:F1} s after the kill");
            Assert.Equal((nodes.ASilo.Endpoint.ToString(), 1, (string?)null), (ready.ComposedBy, ready.Attempts, ready.FailureReason));
            var info = await MediaProbe.InfoAsync(request.OutputPath);
            Assert.True(info.Duration > 55, $"a recording of {info.Duration:F1} s");
        });
    }

    [Fact]
    public async Task Under_roots_of_each_node_s_own_a_recording_is_composed_on_the_node_whose_disk_holds_its_capture()
    {
        var rootA = Root("recordings-a");
        var rootB = Root("recordings-b");
        await using var nodes = await Start(Settings(rootA, false), Settings(rootB, false), [rootA, rootB]);
        await Run(nodes, async () =>
        {
            var s = await Scenario.SignUp(nodes.AHttp, plan: "advanced");
            var holder = nodes.ASilo.Endpoint.ToString();
            var calls = new List<(IRecordingGrain Grain, RecordingRequest Request)>();
            for (var i = 0; i < 3; i++) calls.Add(await Captured(nodes, rootA, s.Tenant, 3.5, holder));
            // A burst on A: B's free slot is no use, it cannot see A's disk.
            await Task.WhenAll(calls.Select(c => c.Grain.Begin(c.Request)));
            // And one whose grain became active on B (as after a restart elsewhere): it moves to A instead of failing.
            var moved = await Captured(nodes, rootA, s.Tenant, 3.5, holder);
            RequestContext.Set(IPlacementDirector.PlacementHintKey, nodes.BSilo);
            try { await moved.Grain.Begin(moved.Request); }
            finally { RequestContext.Clear(); }

            var ready = await AllReady([.. calls.Select(c => c.Grain), moved.Grain]);
            Assert.All(ready, r => Assert.Equal((holder, 1, (string?)null), (r.ComposedBy, r.Attempts, r.FailureReason)));
        });
    }
}
