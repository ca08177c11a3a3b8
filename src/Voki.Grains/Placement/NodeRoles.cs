using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Voki.Grains.Placement;

/// <summary>
/// What a node does (Node:Roles): <c>media</c> hosts live calls (their grain and SFU session, its UDP port), <c>jobs</c>
/// composes and transcribes recordings; a node does both unless told otherwise. Every node publishes its roles in its
/// Orleans silo metadata, so placement on any node knows them for the whole cluster.
/// </summary>
public sealed record NodeRoles(bool Media, bool Jobs)
{
    public const string MetadataKey = "voki.roles";
    public const string MediaRole = "media", JobsRole = "jobs";
    public static readonly NodeRoles Both = new(true, true);

    /// <summary>"media", "jobs", or both ("media,jobs", the default when empty); anything else is refused.</summary>
    public static NodeRoles Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return Both;
        var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = names.Where(n => n is not (MediaRole or JobsRole)).ToList();
        if (unknown.Count > 0 || names.Length == 0)
            throw new FormatException($"Node:Roles \"{value}\" names {string.Join(", ", unknown.Select(u => $"\"{u}\""))}: a node's roles are \"{MediaRole}\", \"{JobsRole}\" or \"{MediaRole},{JobsRole}\"");
        return new NodeRoles(names.Contains(MediaRole), names.Contains(JobsRole));
    }

    public IReadOnlyList<string> Names => [.. Media ? [MediaRole] : Array.Empty<string>(), .. Jobs ? [JobsRole] : Array.Empty<string>()];

    public override string ToString() => string.Join(",", Names);

    /// <summary>The roles a silo published; null while its metadata is not known here (a node just joining) or it published none.</summary>
    public static NodeRoles? Of(SiloMetadata metadata) =>
        metadata.Metadata.TryGetValue(MetadataKey, out var value) ? Parse(value) : null;
}
