namespace Voki.Grains.Model;

/// <summary>One billing plan's limits; null means unlimited. The table lives in configuration (Plans section).</summary>
public sealed record PlanLimits(
    string Name, int? MaxConcurrentCalls, int? MaxUsers, int? MaxDepartments,
    bool Recording, bool Transcription, int? RetentionDays, bool FullAnalytics);

public sealed class PlanCatalog
{
    private readonly Dictionary<string, PlanLimits> _plans;

    public PlanCatalog(IEnumerable<PlanLimits> plans) =>
        _plans = plans.ToDictionary(p => p.Name, StringComparer.Ordinal);

    public static PlanCatalog Default { get; } = new([
        new("free", 1, 2, 1, false, false, null, false),
        new("basic", 3, 10, 3, true, false, 30, false),
        new("advanced", 5, 25, 10, true, true, 90, true),
        new("professional", 10, 50, 20, true, true, 180, true),
        new("enterprise", null, null, null, true, true, 365, true),
    ]);

    public IReadOnlyCollection<string> Names => _plans.Keys;
    public bool Exists(string? name) => name is not null && _plans.ContainsKey(name);
    public PlanLimits this[string name] => _plans.TryGetValue(name, out var plan) ? plan : _plans["free"];
}
