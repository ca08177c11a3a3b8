using Npgsql;
using Voki.Bench.Membership;

namespace Voki.Bench.Calls;

/// <summary>
/// What Orleans' failure detection made of a round on several nodes (issue 10 item 9: membership with the nodes fully
/// loaded, live calls included): the membership table read every 250 ms while the calls run and the recordings are
/// composed and transcribed (bench/membership's MembershipWatch). Nothing is killed here, so every suspicion vote and
/// every Dead status is false, and so is every probe a node's log says went unanswered.
/// </summary>
public sealed class ClusterMembership : IAsyncDisposable
{
    private readonly NpgsqlDataSource _database;
    private readonly MembershipWatch _watch;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watching;

    private ClusterMembership(string connectionString, string clusterId, IReadOnlyList<ClusterNode> nodes)
    {
        _database = NpgsqlDataSource.Create(connectionString);
        var slots = nodes.Select(n => new NodeSlot(n.Name) { Node = n }).ToList();
        // A node that stops by itself was declared dead: counted, and not replaced (the round's figures then say so).
        _watch = new MembershipWatch(new MembershipTable(_database, clusterId), slots,
            slot => throw new InvalidOperationException($"{slot.Name} stopped by itself; bench/calls does not restart nodes"));
        foreach (var node in nodes) _watch.Track(node);
        _watching = _watch.RunAsync(_stop.Token);
    }

    /// <summary>Watches the round's cluster when it has more than one node.</summary>
    public static ClusterMembership? Watch(string connectionString, string clusterId, IReadOnlyList<ClusterNode> nodes) =>
        nodes.Count > 1 ? new ClusterMembership(connectionString, clusterId, nodes) : null;

    public string Summary() =>
        $"{_watch.FalseVotes} / {_watch.FalseDeaths} / {_watch.FalselyMissedProbes()}";

    public IEnumerable<string> Events => _watch.Events;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _watching; } catch (OperationCanceledException) { }
        await _database.DisposeAsync();
    }
}
