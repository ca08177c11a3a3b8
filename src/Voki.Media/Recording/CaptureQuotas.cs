using System.Collections.Concurrent;

namespace Voki.Media.Recording;

/// <summary>
/// The bytes each tenant's open captures hold on one node (<see cref="CaptureLimits.MaxTenantBytes"/>): the media
/// plane knows a call only by its session key <c>{tenant}/{callId}</c>, so the tenant is the key's prefix. Per node.
/// </summary>
public sealed class CaptureQuotas
{
    private readonly ConcurrentDictionary<string, TenantCaptureBytes> _tenants = new(StringComparer.Ordinal);

    public TenantCaptureBytes For(string sessionId)
    {
        var slash = sessionId.IndexOf('/');
        return _tenants.GetOrAdd(slash < 0 ? sessionId : sessionId[..slash], tenant => new TenantCaptureBytes(tenant));
    }

    public long BytesOf(string tenant) => _tenants.TryGetValue(tenant, out var bytes) ? bytes.Bytes : 0;
}

/// <summary>One tenant's share of <see cref="CaptureQuotas"/>.</summary>
public sealed class TenantCaptureBytes(string tenant)
{
    private long _bytes;
    public string Tenant { get; } = tenant;
    public long Bytes => Interlocked.Read(ref _bytes);
    internal long Add(long bytes) => Interlocked.Add(ref _bytes, bytes);
}
