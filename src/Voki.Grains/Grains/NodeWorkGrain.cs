using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Voki.Grains.Placement;

namespace Voki.Grains.Grains;

/// <summary>
/// Key: a node's silo endpoint ("ip:port"). That node's heavy work as it is now: its roles and, for composition and
/// transcription, its slots, who runs and who waits. Read by placement (where a recording's job goes) and by the
/// operator (the cluster's queues, /api/operator/work).
/// </summary>
public interface INodeWorkGrain : IGrainWithStringKey
{
    Task<NodeWork> View();
}

/// <summary>One node's work: <paramref name="Silo"/> its endpoint, <paramref name="Node"/> its HTTP base (Recordings:NodeUrl).</summary>
[GenerateSerializer, Immutable]
public sealed record NodeWork(
    [property: Id(0)] string Silo,
    [property: Id(1)] string? Node,
    [property: Id(2)] IReadOnlyList<string> Roles,
    [property: Id(3)] WorkSlotsView? Compositions,
    [property: Id(4)] WorkSlotsView? Transcriptions)
{
    public bool DoesJobs => Roles.Contains(NodeRoles.JobsRole);
}

[NodeOfKeyPlacement]
public sealed class NodeWorkGrain(IServiceProvider services) : Grain, INodeWorkGrain
{
    public Task<NodeWork> View() => Task.FromResult(Here(services));

    /// <summary>This node's work, read from its slots directly (no grain call).</summary>
    public static NodeWork Here(IServiceProvider services)
    {
        var roles = services.GetService<NodeRoles>() ?? NodeRoles.Both;
        return new NodeWork(services.GetRequiredService<ILocalSiloDetails>().SiloAddress.Endpoint.ToString(),
            services.GetService<RecordingOptions>()?.NodeUrl, roles.Names,
            services.GetService<CompositionSlots>()?.View(), services.GetService<TranscriptionSlots>()?.View());
    }
}
