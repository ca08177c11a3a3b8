using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Cluster;

/// <summary>
/// An operator tunes failure detection from the node's configuration (section "Membership", e.g. the environment
/// variable Membership__ProbeTimeout): what they set reaches Orleans, what they leave out keeps Voki's defaults.
/// </summary>
public sealed class FailureDetectionSettingsTests
{
    [Fact]
    public async Task Membership_settings_from_configuration_reach_the_failure_detector_over_the_defaults()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var node = new InProcessNode(database.ConnectionString, database.Name, new Dictionary<string, string>
        {
            ["Membership:ProbeTimeout"] = "00:00:04",
            ["Membership:NumMissedProbesLimit"] = "5",
        });
        using var _ = node.CreateClient();

        var options = node.Services.GetRequiredService<IOptions<ClusterMembershipOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(4), options.ProbeTimeout);
        Assert.Equal(5, options.NumMissedProbesLimit);
        // Not set: Voki's defaults, not Orleans' (which publish I-am-alive every 30 s and refresh the table every 60 s).
        Assert.Equal(TimeSpan.FromSeconds(10), options.IAmAliveTablePublishTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.TableRefreshTimeout);
    }
}
