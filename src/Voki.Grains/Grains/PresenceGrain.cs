using Voki.Grains.Model;
using Voki.Grains.Realtime;

namespace Voki.Grains.Grains;

public sealed class PresenceGrain : Grain, IPresenceGrain
{
    private sealed record Tracked(PresenceEntry Entry, DateTime ExpiresAt);

    private readonly Dictionary<string, Tracked> _byRef = new();
    private IGrainTimer? _sweeper;
    private TimeSpan _sweepPeriod = TimeSpan.MaxValue;

    public async Task<PresenceEntry[]> Track(string key, PresenceMeta meta, TimeSpan ttl)
    {
        var entry = new PresenceEntry { Key = key, Meta = meta };
        _byRef[meta.PhxRef] = new Tracked(entry, DateTime.UtcNow + ttl);
        EnsureSweeper(ttl);
        await Publish([entry], []);
        return Current();
    }

    public Task<bool> Refresh(string phxRef, TimeSpan ttl)
    {
        if (!_byRef.TryGetValue(phxRef, out var tracked)) return Task.FromResult(false);
        _byRef[phxRef] = tracked with { ExpiresAt = DateTime.UtcNow + ttl };
        return Task.FromResult(true);
    }

    public async Task Untrack(string phxRef)
    {
        if (_byRef.Remove(phxRef, out var tracked)) await Publish([], [tracked.Entry]);
    }

    public Task<PresenceEntry[]> List() => Task.FromResult(Current());

    private PresenceEntry[] Current() => _byRef.Values.Select(t => t.Entry).ToArray();

    /// <summary>Sweeps several times per TTL, so an entry outlives its last refresh by at most a third of it.</summary>
    private void EnsureSweeper(TimeSpan ttl)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(ttl.Ticks / 3, TimeSpan.FromMilliseconds(200).Ticks, TimeSpan.FromSeconds(10).Ticks));
        if (_sweeper is not null && period >= _sweepPeriod) return;
        _sweeper?.Dispose();
        _sweepPeriod = period;
        _sweeper = this.RegisterGrainTimer(Sweep, new GrainTimerCreationOptions { DueTime = period, Period = period });
    }

    private async Task Sweep(CancellationToken cancellation)
    {
        var now = DateTime.UtcNow;
        var expired = _byRef.Where(p => p.Value.ExpiresAt <= now).ToList();
        foreach (var (phxRef, _) in expired) _byRef.Remove(phxRef);
        if (expired.Count > 0) await Publish([], expired.Select(p => p.Value.Entry));
        if (_byRef.Count == 0)
        {
            _sweeper?.Dispose();
            _sweeper = null;
            _sweepPeriod = TimeSpan.MaxValue;
        }
    }

    private Task Publish(IEnumerable<PresenceEntry> joins, IEnumerable<PresenceEntry> leaves) =>
        this.PublishAsync(RealtimeStreams.Presence, this.GetPrimaryKeyString(),
            RealtimePublisher.Event("presence_diff", PresencePayload.Diff(joins, leaves)));
}
