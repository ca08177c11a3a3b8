using Voki.Grains.Model;

namespace Voki.Grains.Grains;

/// <summary>
/// Key "{tenant}/{department_id}": who is online on <c>presence:{department_id}</c>, across every node.
/// Entries live in memory and expire unless refreshed, so a crashed node's sockets disappear on their
/// own; a reactivated grain starts empty and the live sockets put themselves back on their next refresh.
/// Every change is published as <c>presence_diff</c> on the presence stream of the same key.
/// </summary>
public interface IPresenceGrain : IGrainWithStringKey
{
    /// <summary>Adds one socket's meta under <paramref name="key"/> and returns everyone present, itself included.</summary>
    Task<PresenceEntry[]> Track(string key, PresenceMeta meta, TimeSpan ttl);
    /// <summary>Extends an entry's life; false when the grain no longer knows it (track it again).</summary>
    Task<bool> Refresh(string phxRef, TimeSpan ttl);
    Task Untrack(string phxRef);
    Task<PresenceEntry[]> List();
}
