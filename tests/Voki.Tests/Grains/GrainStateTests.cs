using Npgsql;
using Orleans.Runtime;
using Voki.Grains.Grains;
using Voki.Grains.Model;

namespace Voki.Tests.Grains;

/// <summary>Grain state lives in PostgreSQL, not in the activation: it outlives deactivation and the cluster itself.</summary>
[Collection(GrainCollection.Name)]
public sealed class GrainStateTests(GrainClusterFixture fixture)
{
    [Fact]
    public async Task A_call_reads_back_the_same_after_its_activation_is_gone_and_from_another_cluster()
    {
        var t = await GrainTenant.CreateAsync(fixture.Grains);
        var call = await t.QueuedCall();
        GrainTenant.Ok(await call.Assign(t.Attendant, null));
        var before = GrainTenant.Ok(await call.Start(t.Attendant));

        var grainId = call.GetGrainId();
        Assert.True(fixture.Cluster.TryGetGrainContext(grainId, out var first));
        await fixture.Cluster.DeactivateAsync(grainId);
        Assert.False(fixture.Cluster.TryGetGrainContext(grainId, out _));

        Assert.Equal(before, await call.Get());
        Assert.True(fixture.Cluster.TryGetGrainContext(grainId, out var second));
        Assert.NotSame(first, second); // a new activation, loaded from storage

        // The storage row is keyed by the service id, so another cluster of the same service sees the call.
        await using var other = await GrainClusters.StartAsync(fixture.Database.ConnectionString, fixture.ServiceId);
        var elsewhere = other.Grains().GetGrain<ICallGrain>(TenantKey.For(t.Slug, before.Id));
        Assert.Equal(before, await elsewhere.Get());
        // …and it is a working call there: the lifecycle continues from the stored state.
        var completed = GrainTenant.Ok(await elsewhere.Complete(t.Attendant, "done elsewhere"));
        Assert.Equal(before.StartedAt, completed.StartedAt);
        await other.StopAllSilosAsync();

        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var rows = new NpgsqlCommand(
            "SELECT count(*) FROM OrleansStorage WHERE ServiceId = $1 AND position($2 in GrainIdExtensionString) > 0 AND GrainTypeString NOT ILIKE '%pubsub%'", connection);
        rows.Parameters.AddWithValue(fixture.ServiceId);
        rows.Parameters.AddWithValue(before.Id.ToString());
        Assert.Equal(1L, await rows.ExecuteScalarAsync());
    }
}
