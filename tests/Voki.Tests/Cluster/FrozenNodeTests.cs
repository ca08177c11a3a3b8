using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Voki.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Voki.Tests.Cluster;

/// <summary>
/// A busy node is not a dead one. A node that stops answering for a while (a long GC pause, a starved or
/// live-migrated VM; here SIGSTOP, which keeps its sockets open) keeps its membership, and so every call on it,
/// and serves again once it runs: the survivor's probes time out after about half a second, but no vote is cast
/// against a node whose connection delivered a message within the last seconds (EnableConnectionLivenessCheck). Without
/// that lifeguard this node is declared dead about 2 s into the freeze. bench/membership measures how long a freeze
/// must last before the node is evicted (docs/benchmarks.md, "Membership under load").
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FrozenNodeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Frozen = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_node_frozen_for_five_seconds_stays_a_member_and_answers_again()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var survivor = new InProcessNode(database.ConnectionString, database.Name);
        using var survivorHttp = survivor.CreateClient();
        await using var frozen = NodeProcess.Start(database.ConnectionString, database.Name);
        await frozen.WaitReadyAsync(TimeSpan.FromSeconds(90));
        var membership = survivor.Services.GetRequiredService<IClusterMembershipService>();
        var self = survivor.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        await Eventually.Holds(() => membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active) == 2,
            TimeSpan.FromSeconds(30), "both nodes active");
        var frozenSilo = membership.CurrentSnapshot.Members.Values.Single(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(self)).SiloAddress;
        using var frozenHttp = new HttpClient { BaseAddress = frozen.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var s = await Scenario.SignUp(frozenHttp);

        frozen.Freeze();
        var clock = Stopwatch.StartNew();
        var statuses = new List<(TimeSpan At, SiloStatus Status)>();
        try
        {
            while (clock.Elapsed < Frozen)
            {
                statuses.Add((clock.Elapsed, membership.CurrentSnapshot.GetSiloStatus(frozenSilo)));
                await Task.Delay(100);
            }
        }
        finally
        {
            frozen.Thaw();
        }

        Assert.All(statuses, x => Assert.True(x.Status == SiloStatus.Active,
            $"{x.At.TotalSeconds:F1} s into the freeze the survivor saw the node {x.Status}"));

        // Running again: it answers, as a member, for the tenant made through it before the freeze.
        await Eventually.Holds(async () =>
        {
            try { return (await frozenHttp.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK; }
            catch (HttpRequestException) { return false; }
        }, TimeSpan.FromSeconds(60), "the thawed node ready");
        var afterwards = clock.Elapsed;
        Assert.Equal(SiloStatus.Active, membership.CurrentSnapshot.GetSiloStatus(frozenSilo));
        output.WriteLine($"frozen {Frozen.TotalSeconds:0} s; ready again {afterwards.TotalSeconds:F1} s after the freeze began; " +
            $"the survivor saw it {string.Join(", ", statuses.Select(x => x.Status).Distinct())}");
        Assert.False(frozen.HasExited, "the frozen node stopped itself (declared dead):\n" + frozen.Log);
        var owner = new ApiClient(frozenHttp).As(s.Owner.Token, s.Tenant);
        Assert.Equal(HttpStatusCode.OK, (await owner.Get("/api/v1/users")).Status);
    }
}
