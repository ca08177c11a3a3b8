using Microsoft.Extensions.DependencyInjection;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using Voki.Grains.Grains;

namespace Voki.Grains.Placement;

/// <summary>
/// Places a recording's grain, which composes and transcribes where it is active (issue 12 item 3). Under a recordings
/// root shared by the nodes (Recordings:Shared), on the jobs node with the least work per slot as the nodes tell it now
/// (<see cref="ClusterWork"/>); a media-only node only when no jobs node is in the cluster, where the job waits without
/// running. Under a root of each node's own, on the node that asks (the call's, whose disk holds the capture), as
/// before. A placement hint (a migration towards a given node) is followed when that node can take the grain.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class JobPlacement : PlacementStrategy;

[AttributeUsage(AttributeTargets.Class)]
public sealed class JobPlacementAttribute() : PlacementAttribute(new JobPlacement());

public sealed class JobPlacementDirector(IServiceProvider services) : IPlacementDirector
{
    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        if (IPlacementDirector.GetPlacementHint(target.RequestContextData, silos) is { } hint) return hint;
        var local = silos.Contains(context.LocalSilo) ? context.LocalSilo : silos[Random.Shared.Next(silos.Length)];
        if (services.GetService<RecordingOptions>() is not { Shared: true }) return local;
        var work = services.GetRequiredService<ClusterWork>();
        // Without a jobs node answering, the grain stays here and its job waits (RecordingGrain.CanWorkHere).
        return await work.PlaceAsync(target.GrainIdentity.Key.ToString()!, silos) ?? local;
    }
}
