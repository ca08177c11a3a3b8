using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Voki.Bench.Membership;

/// <summary>
/// Watches the membership table every 250 ms while the load runs: every suspicion vote and every Dead status, each
/// classified as true (against a node this benchmark killed) or false (against a node that was running). A node
/// that Orleans declared dead stops itself; the watch counts that and starts a new node in its slot.
/// </summary>
public sealed partial class MembershipWatch(MembershipTable table, IReadOnlyList<NodeSlot> slots, Func<NodeSlot, Task<ClusterNode>> restart)
{
    private readonly ConcurrentDictionary<string, byte> _votes = new();
    private readonly ConcurrentDictionary<string, byte> _dead = new();
    private readonly ConcurrentDictionary<int, byte> _killedPorts = new();
    private readonly ConcurrentQueue<string> _events = new();
    private readonly List<ClusterNode> _allNodes = [];
    private int _falseVotes, _falseDeaths, _selfStops;

    public int FalseVotes => _falseVotes;
    public int FalseDeaths => _falseDeaths;
    public int SelfStops => _selfStops;
    public IEnumerable<string> Events => _events;

    public void Track(ClusterNode node) { lock (_allNodes) _allNodes.Add(node); }

    /// <summary>Call just before killing a node on purpose: what is said against it from then on is true.</summary>
    public void Killing(ClusterNode node) => _killedPorts[node.SiloPort] = 0;

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                foreach (var row in await table.ReadAsync(ct)) Observe(row);
                foreach (var slot in slots)
                {
                    if (slot.Node is { HasExited: true, Killed: false } stopped)
                    {
                        Interlocked.Increment(ref _selfStops);
                        _events.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} node {stopped.Name} (silo port {stopped.SiloPort}) stopped by itself; starting a new one");
                        stopped.Note("stopped by itself (declared dead?)");
                        _killedPorts[stopped.SiloPort] = 0;
                        slot.Node = null;
                        slot.Node = await restart(slot);
                    }
                }
                await Task.Delay(250, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e)
            {
                _events.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} watch: {e.Message}");
                try { await Task.Delay(1000, ct); } catch (OperationCanceledException) { }
            }
        }
    }

    private void Observe(SiloRow row)
    {
        var killed = _killedPorts.ContainsKey(row.Port);
        foreach (var vote in row.Votes)
        {
            if (_votes.TryAdd($"{row.Silo} {vote}", 0) && !killed)
            {
                Interlocked.Increment(ref _falseVotes);
                _events.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} false suspicion of running silo {row.Silo}: {vote}");
            }
        }
        if (row.Status == SiloRow.Dead && _dead.TryAdd(row.Silo, 0) && !killed)
        {
            Interlocked.Increment(ref _falseDeaths);
            _events.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} running silo {row.Silo} declared dead");
        }
    }

    /// <summary>Probes that went unanswered although their target was running (a killed target's misses are expected).</summary>
    public int FalselyMissedProbes()
    {
        List<ClusterNode> nodes;
        lock (_allNodes) nodes = _allNodes.ToList();
        return nodes.Sum(n => n.MembershipLines.Count(line =>
            MissedProbe().Match(line) is { Success: true } m && !_killedPorts.ContainsKey(int.Parse(m.Groups[1].Value))));
    }

    public int Count(Regex pattern)
    {
        lock (_allNodes) return _allNodes.Sum(n => n.Count(pattern));
    }

    [GeneratedRegex(@"Did not get response for probe #\d+ to silo S?[0-9.]+:(\d+):")]
    private static partial Regex MissedProbe();
}
