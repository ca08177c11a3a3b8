using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Voki.Grains.Grains;

namespace Voki.Grains.Placement;

/// <summary>
/// The cluster's heavy work as this node sees it: every active node's roles and slots (<see cref="INodeWorkGrain"/>),
/// asked of each node when needed, so a placement or the operator's view is never older than the call. Also what this
/// node has just placed elsewhere and that node does not show yet, so a burst placed at once spreads instead of going
/// to the node that looked emptiest before the burst began.
/// </summary>
public sealed class ClusterWork(IServiceProvider services, ILogger<ClusterWork> logger)
{
    /// <summary>How long a node may take to tell its work; a node slower than that is left out of the decision.</summary>
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);
    /// <summary>How long a job placed on a node counts there before that node's own view shows it.</summary>
    private static readonly TimeSpan PlacedCountsFor = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly List<(SiloAddress Silo, string Job, DateTime At)> _placed = [];

    private SiloAddress Here => services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

    public IReadOnlyList<SiloAddress> ActiveSilos() =>
        services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToList();

    /// <summary>The active silo at <paramref name="endpoint"/> ("ip:port"), whatever its generation; null when none is.</summary>
    public SiloAddress? ActiveSilo(string endpoint) => ActiveSilos().FirstOrDefault(s => s.Endpoint.ToString() == endpoint);

    /// <summary>The roles <paramref name="silo"/> published (this node's own from its configuration); null while unknown.</summary>
    public NodeRoles? RolesOf(SiloAddress silo) => silo.Equals(Here)
        ? services.GetService<NodeRoles>() ?? NodeRoles.Both
        : NodeRoles.Of(services.GetRequiredService<ISiloMetadataCache>().GetSiloMetadata(silo));

    /// <summary>Each silo's work, asked in parallel; a silo that does not answer within <see cref="AskTimeout"/> is null.</summary>
    public async Task<IReadOnlyList<(SiloAddress Silo, NodeWork? Work)>> ViewsAsync(IEnumerable<SiloAddress> silos)
    {
        var grains = services.GetRequiredService<IGrainFactory>();
        var here = Here;
        return await Task.WhenAll(silos.Select(async silo =>
        {
            if (silo.Equals(here)) return (silo, NodeWorkGrain.Here(services));
            try { return (silo, (NodeWork?)await grains.GetGrain<INodeWorkGrain>(silo.Endpoint.ToString()).View().WaitAsync(AskTimeout)); }
            catch (Exception e)
            {
                logger.LogInformation("Node {Silo} did not tell its work: {Reason}", silo, e.Message);
                return (silo, (NodeWork?)null);
            }
        }));
    }

    /// <summary>
    /// The node a recording's job goes to among <paramref name="candidates"/>: of those that answer with the jobs role
    /// (each node's own word, so a node whose metadata has not reached this one yet counts too), the one with the least
    /// composition work per slot counting what was just placed there, then the least transcription work, then this node
    /// (no hop), then any. Null when no jobs node answered.
    /// </summary>
    public async Task<SiloAddress?> PlaceAsync(string job, IReadOnlyList<SiloAddress> candidates)
    {
        var views = await ViewsAsync(candidates);
        var here = Here;
        lock (_lock)
        {
            Forget(views);
            var chosen = views.Where(v => v.Work is { DoesJobs: true })
                .Select(v => (v.Silo, Work: v.Work!, Coming: _placed.Count(p => p.Silo.Equals(v.Silo))))
                .OrderBy(v => v.Work.Compositions?.Load(v.Coming) ?? double.MaxValue)
                .ThenBy(v => v.Work.Transcriptions?.Load() ?? 0)
                .ThenBy(v => v.Silo.Equals(here) ? 0 : 1)
                .ThenBy(_ => Random.Shared.Next())
                .Select(v => v.Silo)
                .FirstOrDefault();
            if (chosen is not null) _placed.Add((chosen, job, DateTime.UtcNow));
            return chosen;
        }
    }

    /// <summary>
    /// Whether another jobs node than this one has a composition slot free and nobody waiting for it: a composition
    /// waiting here would start there at once.
    /// </summary>
    public async Task<bool> CompositionSlotFreeElsewhere()
    {
        var here = Here;
        var others = ActiveSilos().Where(s => !s.Equals(here)).ToList();
        if (others.Count == 0) return false;
        var views = await ViewsAsync(others);
        lock (_lock)
        {
            Forget(views);
            return views.Any(v => v.Work is { DoesJobs: true, Compositions: { } c }
                && c.Running.Count + c.Waiting.Count + _placed.Count(p => p.Silo.Equals(v.Silo)) < c.Capacity);
        }
    }

    /// <summary>A placed job stops counting once its node shows it (or it has had time to).</summary>
    private void Forget(IReadOnlyList<(SiloAddress Silo, NodeWork? Work)> views)
    {
        var now = DateTime.UtcNow;
        _placed.RemoveAll(p => now - p.At > PlacedCountsFor
            || views.Any(v => v.Silo.Equals(p.Silo) && v.Work is { } w && ((w.Compositions?.Holds(p.Job) ?? false) || (w.Transcriptions?.Holds(p.Job) ?? false))));
    }
}
