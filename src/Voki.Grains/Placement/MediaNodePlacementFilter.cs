using Microsoft.Extensions.DependencyInjection;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Voki.Grains.Placement;

/// <summary>
/// A call's grain holds its SFU session, so it is placed only on nodes with the <c>media</c> role: a jobs-only node never
/// hosts a call's media and needs no open UDP port. Should no media node be known, a node whose roles are not known
/// here yet, and failing that any node takes the grain
/// (the call's state and lifecycle stay served; media is refused there with "This node has no media plane").
/// </summary>
public sealed class MediaNodePlacementFilter() : PlacementFilterStrategy(order: 0);

[AttributeUsage(AttributeTargets.Class)]
public sealed class MediaNodePlacementFilterAttribute() : PlacementFilterAttribute(new MediaNodePlacementFilter());

public sealed class MediaNodePlacementFilterDirector(IServiceProvider services) : IPlacementFilterDirector
{
    public IEnumerable<SiloAddress> Filter(PlacementFilterStrategy filterStrategy, PlacementTarget target, IEnumerable<SiloAddress> silos)
    {
        var all = silos.ToList();
        var work = services.GetRequiredService<ClusterWork>();
        var media = all.Where(s => work.RolesOf(s)?.Media == true).ToList();
        if (media.Count > 0) return media;
        // A node just joining has not told its roles here yet: it may be a media node, one known to be jobs-only is not.
        var unknown = all.Where(s => work.RolesOf(s) is null).ToList();
        return unknown.Count > 0 ? unknown : all;
    }
}
