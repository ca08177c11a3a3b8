using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Recording;

/// <summary>
/// Retention deletes a recording on the node whose disk holds it, whichever node its grain is active on, and the
/// recording turns expired only once the files are gone. Each node of the fixture has a recordings root of its own and
/// deletes nothing outside it, so a purge that ran on the wrong node could not delete the files.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PurgeWhereTheFileIsTests(TwoNodeCluster cluster)
{
    private static string Endpoint(VokiApp node) => node.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.Endpoint.ToString();

    /// <summary>A recording with a retention of 0 days whose files are on <paramref name="filesOn"/>, its grain on the second node.</summary>
    private async Task<(IRecordingGrain Grain, string Tenant, Guid CallId, string Output, string Capture)> Recorded(VokiApp filesOn, string holder)
    {
        // A completed call without a recording of its own (the free plan records nothing), for the test to give one.
        var s = await Scenario.SignUp(cluster.First.CreateClient(), plan: "free");
        var department = await s.Department();
        var (attendant, _) = await s.Staff("attendant", department);
        var call = (await s.Join(department))["call_id"]!.GetValue<string>();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{call}/start")).Status);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{call}/complete")).Status);
        var tenant = s.Tenant;
        var callId = Guid.Parse(call);
        var directory = Path.Combine(filesOn.RecordingsRoot, tenant, callId.ToString());
        var capture = Path.Combine(directory, "capture");
        await SyntheticCapture.WriteAsync(capture,
        [
            new SyntheticParty { Id = "customer", Name = "Carlos", Join = 0, AudioStart = 0.1, VideoStart = 0.1, Leave = 2, VideoWidth = 160, VideoHeight = 120, AudioSsrc = 11, VideoSsrc = 12 },
        ], end: 2);
        // Prefer-local placement: called from the second node, the grain activates there.
        var grain = cluster.Second.Services.GetRequiredService<IGrainFactory>().GetGrain<IRecordingGrain>(TenantKey.For(tenant, callId));
        var output = Path.Combine(directory, "recording.webm");
        await grain.Begin(new RecordingRequest { CaptureDirectory = capture, OutputPath = output, RetentionDays = 0, HolderNode = holder });
        return (grain, tenant, callId, output, capture);
    }

    private static async Task<Voki.Grains.Model.Recording> Until(IRecordingGrain grain, Func<Voki.Grains.Model.Recording, bool> condition, string what)
    {
        Voki.Grains.Model.Recording? recording = null;
        await Eventually.Holds(async () => (recording = await grain.Get()) is { } r && condition(r), TimeSpan.FromSeconds(90), what);
        return recording!;
    }

    [Fact]
    public async Task The_holder_deletes_the_files_though_the_recordings_grain_is_on_another_node()
    {
        var (grain, tenant, callId, output, capture) = await Recorded(cluster.First, Endpoint(cluster.First));
        var expired = await Until(grain, r => r.Status is RecordingStatus.Expired or RecordingStatus.Failed || r.PurgePending is not null, "the purge");
        Assert.True(expired.Status == RecordingStatus.Expired, $"status {expired.Status}, purge pending: {expired.PurgePending}, failure: {expired.FailureReason}");
        Assert.False(File.Exists(output));
        Assert.False(Directory.Exists(capture));
        var audit = await cluster.First.Services.GetRequiredService<RecordingRows>().AuditTrailAsync(tenant, callId, new ListRequest(1, 100, "a.id", false));
        Assert.Contains(audit.Items, a => a.Action == "purge");
    }

    [Fact]
    public async Task While_the_holder_is_not_in_the_cluster_the_recording_stays_ready_and_its_files_stay()
    {
        var (grain, tenant, callId, output, capture) = await Recorded(cluster.First, "127.0.0.1:1");
        var pending = await Until(grain, r => r.Status is RecordingStatus.Expired or RecordingStatus.Failed || r.PurgePending is not null, "the purge attempt");
        Assert.Equal(RecordingStatus.Ready, pending.Status);
        Assert.Contains("127.0.0.1:1", pending.PurgePending);
        Assert.True(File.Exists(output));
        Assert.True(Directory.Exists(capture));
        var audit = await cluster.First.Services.GetRequiredService<RecordingRows>().AuditTrailAsync(tenant, callId, new ListRequest(1, 100, "a.id", false));
        Assert.DoesNotContain(audit.Items, a => a.Action == "purge");
    }

    [Fact]
    public async Task With_the_holder_gone_files_under_a_shared_root_are_deleted_where_they_are_seen()
    {
        // The files are under the second node's own root: as with a root shared by the nodes, they are visible here.
        var (grain, _, _, output, capture) = await Recorded(cluster.Second, "127.0.0.1:1");
        var expired = await Until(grain, r => r.Status is RecordingStatus.Expired or RecordingStatus.Failed || r.PurgePending is not null, "the purge");
        Assert.True(expired.Status == RecordingStatus.Expired, $"status {expired.Status}, purge pending: {expired.PurgePending}");
        Assert.False(File.Exists(output));
        Assert.False(Directory.Exists(capture));
    }
}
