using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Voki.Media.Sfu;
using Voki.Tests.Browser;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Pages;

/// <summary>
/// What the calls-in-the-browser tests share: two Voki nodes of one cluster on real loopback ports (one
/// database), and one headless Chromium whose contexts play the customers and the staff.
/// </summary>
public sealed class BrowserCallCluster : IAsyncLifetime
{
    public KestrelVokiApp First { get; } = new();
    public KestrelVokiApp Second { get; private set; } = null!;
    public Chromium Chromium { get; } = new();

    public async Task InitializeAsync()
    {
        var browser = Chromium.InitializeAsync();
        await First.InitializeAsync();
        Second = KestrelVokiApp.NodeOf(First);
        await Second.InitializeAsync();
        await browser;
        var management = First.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        for (var tries = 0; (await management.GetHosts(onlyActive: true)).Count < 2; tries++)
        {
            if (tries > 150) throw new TimeoutException("The second node did not join the cluster");
            await Task.Delay(200);
        }
    }

    public IEnumerable<KestrelVokiApp> Nodes => [First, Second];

    /// <summary>The node whose silo holds the activation of <paramref name="grain"/>.</summary>
    public async Task<KestrelVokiApp> NodeHolding(IAddressable grain)
    {
        var management = First.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        var silo = await management.GetActivationAddress(grain) ?? throw new InvalidOperationException("the grain is not active");
        return Nodes.Single(n => n.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.Equals(silo));
    }

    public static MediaNode Media(KestrelVokiApp node) => node.Services.GetRequiredService<MediaNode>();

    public async Task DisposeAsync()
    {
        await Chromium.DisposeAsync();
        await ((IAsyncLifetime)Second).DisposeAsync();
        await ((IAsyncLifetime)First).DisposeAsync();
    }
}

/// <summary>Browser calls run alone, after the parallel tests: real-time media needs the two cores.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCallCollection : ICollectionFixture<BrowserCallCluster>
{
    public const string Name = "browser-calls";
}
