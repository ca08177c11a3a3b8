using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Voki.Tests.Infrastructure;

/// <summary>Two Voki nodes in one cluster (one database, one cluster id), for what must work across nodes.</summary>
public sealed class TwoNodeCluster : IAsyncLifetime
{
    public VokiApp First { get; } = new();
    public VokiApp Second { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await First.InitializeAsync();
        Second = VokiApp.JoiningClusterOf(First);
        await Second.InitializeAsync();
        // Both silos see each other before any test runs.
        var management = First.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        for (var tries = 0; (await management.GetHosts(onlyActive: true)).Count < 2; tries++)
        {
            if (tries > 150) throw new TimeoutException("The second node did not join the cluster");
            await Task.Delay(200);
        }
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)Second).DisposeAsync();
        await ((IAsyncLifetime)First).DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<TwoNodeCluster>
{
    public const string Name = "cluster";
}
