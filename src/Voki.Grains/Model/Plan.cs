namespace Voki.Grains.Model;

/// <summary>
/// One billing plan's limits; null means unlimited. The table lives in configuration (Plans section).
/// <paramref name="Webhooks"/>: outgoing webhooks (reference §2.15: advanced, professional and enterprise).
/// </summary>
public sealed record PlanLimits(
    string Name, int? MaxConcurrentCalls, int? MaxUsers, int? MaxDepartments,
    bool Recording, bool Transcription, int? RetentionDays, bool FullAnalytics, bool Webhooks = false);

public sealed class PlanCatalog
{
    private readonly Dictionary<string, PlanLimits> _plans;

    public PlanCatalog(IEnumerable<PlanLimits> plans) =>
        _plans = plans.ToDictionary(p => p.Name, StringComparer.Ordinal);

    public static PlanCatalog Default { get; } = new([
        new("free", 1, 2, 1, false, false, null, false),
        new("basic", 3, 10, 3, true, false, 30, false),
        new("advanced", 5, 25, 10, true, true, 90, true, true),
        new("professional", 10, 50, 20, true, true, 180, true, true),
        new("enterprise", null, null, null, true, true, 365, true, true),
    ]);

    public IReadOnlyCollection<string> Names => _plans.Keys;
    public bool Exists(string? name) => name is not null && _plans.ContainsKey(name);
    public PlanLimits this[string name] => _plans.TryGetValue(name, out var plan) ? plan : _plans["free"];

    /// <summary>The plans whose tenants' events are delivered to their webhooks.</summary>
    public string[] WithWebhooks => _plans.Values.Where(p => p.Webhooks).Select(p => p.Name).ToArray();
}
