namespace Voki.Bench.Membership;

/// <summary>Where one node of the cluster currently is: a killed node is replaced by a new process in the same slot.</summary>
public sealed class NodeSlot(string name)
{
    public string Name { get; } = name;
    public volatile ClusterNode? Node;
}
