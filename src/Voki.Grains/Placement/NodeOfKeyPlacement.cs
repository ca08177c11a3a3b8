using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Voki.Grains.Placement;

/// <summary>
/// Places a grain whose key is a silo endpoint ("ip:port") on the active silo at that endpoint, whatever its generation:
/// a node that restarts on the same machine keeps its files and its key. When no such silo is active the placement
/// fails, and so does the call: the caller learns that the node is gone rather than being served by another.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class NodeOfKeyPlacement : PlacementStrategy;

[AttributeUsage(AttributeTargets.Class)]
public sealed class NodeOfKeyPlacementAttribute() : PlacementAttribute(new NodeOfKeyPlacement());

public sealed class NodeOfKeyPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var endpoint = target.GrainIdentity.Key.ToString();
        var silo = context.GetCompatibleSilos(target).FirstOrDefault(s => s.Endpoint.ToString() == endpoint)
            ?? throw new NodeNotInClusterException(endpoint);
        return Task.FromResult(silo);
    }
}

[GenerateSerializer]
public sealed class NodeNotInClusterException(string endpoint) : Exception($"no active node of the cluster is at {endpoint}")
{
    [Id(0)] public string Endpoint { get; } = endpoint;
}
