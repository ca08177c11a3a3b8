using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Voki.Tests.Pages;

/// <summary>
/// A call whose two pages are served by different nodes of one cluster: the signalling of both goes to
/// the one call grain, and both browsers send their media to the SFU of the node that holds it.
/// </summary>
[Collection(BrowserCallCollection.Name)]
public sealed class ClusterCallsInBrowserTests(BrowserCallCluster cluster, ITestOutputHelper output)
{
    /// <summary>The call grain stays where the customer's join placed it (their node), or moves to the attendant's node first.</summary>
    [Theory]
    [InlineData("first")]
    [InlineData("second")]
    public async Task Pages_on_two_nodes_meet_on_the_media_port_of_the_node_holding_the_call(string grainOn)
    {
        var clock = Stopwatch.StartNew();
        var (a, b) = (cluster.First, cluster.Second);
        var t = await CallFlows.SignUp(a.BaseUrl);
        var browser = cluster.Chromium.Browser;
        await using var customer = await CallFlows.CustomerJoins(browser, a.BaseUrl, t.LinkToken, "Joana Lima");
        var callId = await customer.Page.EvaluateAsync<string>("() => window.voki.call.call_id");
        var key = TenantKey.For(t.Scenario.Tenant, Guid.Parse(callId));
        var grain = a.Services.GetRequiredService<IGrainFactory>().GetGrain<ICallGrain>(key);
        var wanted = grainOn == "first" ? a : b;
        if (await cluster.NodeHolding(grain) != wanted) await MoveTo(grain, wanted);
        await using var attendant = await CallFlows.LogsIn(browser, b.BaseUrl, t, t.Attendant, "attendant");
        await CallFlows.TakesCall(attendant, "Joana Lima");
        await customer.State("call");

        await customer.ReceivesMediaFrom(1);
        await attendant.ReceivesMediaFrom(1);
        var flowing = clock.Elapsed;

        var holder = await cluster.NodeHolding(grain);
        Assert.Same(wanted, holder);
        var other = holder == a ? b : a;
        var port = BrowserCallCluster.Media(holder).Port;
        Assert.NotEqual(BrowserCallCluster.Media(other).Port, port);
        foreach (var page in new[] { customer, attendant })
        {
            var sdps = await page.ReceivedSdp();
            Assert.Contains(sdps, sdp => sdp.Contains("\r\na=setup:passive", StringComparison.Ordinal)); // our answer
            Assert.All(sdps, sdp => Assert.Equal([port], CallPage.CandidatePorts(sdp)));
        }
        Assert.NotNull(BrowserCallCluster.Media(holder).ExistingSession(key));
        Assert.Null(BrowserCallCluster.Media(other).ExistingSession(key));

        await attendant.TestId("complete-call").ClickAsync();
        await customer.State("ended");
        Assert.Equal("completed", (await customer.Event("call_ended")).GetProperty("status").GetString());
        Assert.Equal("completed", (await attendant.Event("call_ended")).GetProperty("status").GetString());
        Assert.Null(BrowserCallCluster.Media(holder).ExistingSession(key));
        Assert.Empty(customer.Errors.Concat(attendant.Errors));
        output.WriteLine($"customer on the first node, attendant on the second, call grain and media on the {grainOn} (UDP {port}); media both ways at {flowing.TotalSeconds:F1} s, done at {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Migrates the (queued, media-less) call grain to <paramref name="node"/>'s silo.</summary>
    private async Task MoveTo(ICallGrain grain, KestrelVokiApp node)
    {
        var silo = node.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
        try { await grain.Cast<IGrainManagementExtension>().MigrateOnIdle(); }
        finally { RequestContext.Clear(); }
        var clock = Stopwatch.StartNew();
        while (await cluster.NodeHolding(grain) != node)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10)) throw new TimeoutException("the call grain did not move");
            await Task.Delay(50);
        }
    }
}
