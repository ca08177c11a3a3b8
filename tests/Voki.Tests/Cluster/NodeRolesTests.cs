using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Placement;
using Voki.Media.Sfu;
using Voki.Silo;

namespace Voki.Tests.Cluster;

/// <summary>Node:Roles as an operator writes it, and the configurations a node refuses to start with.</summary>
public sealed class NodeRolesTests
{
    [Theory]
    [InlineData(null, true, true)]
    [InlineData("", true, true)]
    [InlineData("media,jobs", true, true)]
    [InlineData(" jobs , media ", true, true)]
    [InlineData("media", true, false)]
    [InlineData("jobs", false, true)]
    public void Roles_are_media_jobs_or_both_by_default(string? value, bool media, bool jobs) =>
        Assert.Equal(new NodeRoles(media, jobs), NodeRoles.Parse(value));

    [Theory]
    [InlineData("gpu")]
    [InlineData("media,transcription")]
    [InlineData(",")]
    public void Any_other_role_is_refused_naming_the_valid_ones(string value)
    {
        var refused = Assert.Throws<FormatException>(() => NodeRoles.Parse(value));
        Assert.Contains("\"media\", \"jobs\" or \"media,jobs\"", refused.Message);
    }

    private static IServiceCollection Node(Dictionary<string, string?> settings)
    {
        settings["Media:Port"] = "0";
        return new ServiceCollection().AddVokiMedia(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
    }

    [Theory]
    [InlineData("media")]
    [InlineData("jobs")]
    public void A_node_of_one_role_without_a_shared_recordings_root_refuses_to_start(string roles)
    {
        var refused = Assert.Throws<InvalidOperationException>(() => Node(new() { ["Node:Roles"] = roles, ["Recordings:Root"] = "/tmp/voki-x" }));
        Assert.Contains("Recordings:Shared=true", refused.Message);
    }

    [Fact]
    public void A_jobs_only_node_opens_no_media_port_and_a_media_node_does()
    {
        var jobs = Node(new() { ["Node:Roles"] = "jobs", ["Recordings:Root"] = "/tmp/voki-x", ["Recordings:Shared"] = "true" });
        Assert.DoesNotContain(jobs, d => d.ServiceType == typeof(MediaNode));
        Assert.Equal(new NodeRoles(false, true), jobs.BuildServiceProvider().GetRequiredService<NodeRoles>());
        var both = Node(new() { ["Recordings:Root"] = "/tmp/voki-x" });
        Assert.Contains(both, d => d.ServiceType == typeof(MediaNode));
        Assert.Equal(NodeRoles.Both, both.BuildServiceProvider().GetRequiredService<NodeRoles>());
    }
}
