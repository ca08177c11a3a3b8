using Voki.Grains.Model;

namespace Voki.Grains.Realtime;

/// <summary>
/// The CRDT-compatible payloads of Phoenix Presence that the official client's <c>Presence</c> syncs:
/// a state is <c>{"&lt;key&gt;": {"metas": [{phx_ref, …}]}}</c>, a diff is <c>{joins: state, leaves: state}</c>.
/// </summary>
public static class PresencePayload
{
    public static Dictionary<string, object> State(IEnumerable<PresenceEntry> entries) =>
        entries.GroupBy(e => e.Key).ToDictionary(g => g.Key, g => (object)new
        {
            metas = g.Select(e => new { phx_ref = e.Meta.PhxRef, name = e.Meta.Name, role = e.Meta.Role, online_at = e.Meta.OnlineAt }).ToArray(),
        });

    public static object Diff(IEnumerable<PresenceEntry> joins, IEnumerable<PresenceEntry> leaves) =>
        new { joins = State(joins), leaves = State(leaves) };
}
