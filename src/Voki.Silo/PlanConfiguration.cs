using Microsoft.Extensions.Configuration;
using Voki.Grains.Model;

namespace Voki.Silo;

/// <summary>Reads the plan table from the "Plans" section; plans it does not name keep decisions.md's values.</summary>
public static class PlanConfiguration
{
    public static PlanCatalog Load(IConfiguration configuration)
    {
        var plans = PlanCatalog.Default.Names.ToDictionary(n => n, n => PlanCatalog.Default[n]);
        foreach (var section in configuration.GetSection("Plans").GetChildren())
        {
            var basis = plans.GetValueOrDefault(section.Key) ?? new PlanLimits(section.Key, 0, 0, 0, false, false, null, false);
            plans[section.Key] = new PlanLimits(
                section.Key,
                Limit(section, "MaxConcurrentCalls", basis.MaxConcurrentCalls),
                Limit(section, "MaxUsers", basis.MaxUsers),
                Limit(section, "MaxDepartments", basis.MaxDepartments),
                section.GetValue("Recording", basis.Recording),
                section.GetValue("Transcription", basis.Transcription),
                Limit(section, "RetentionDays", basis.RetentionDays),
                section.GetValue("FullAnalytics", basis.FullAnalytics),
                section.GetValue("Webhooks", basis.Webhooks));
        }
        return new PlanCatalog(plans.Values);
    }

    // "unlimited" (or an empty value) means no limit.
    private static int? Limit(IConfigurationSection plan, string key, int? fallback)
    {
        var value = plan[key];
        if (value is null) return fallback;
        return value is "" or "unlimited" ? null : int.Parse(value);
    }
}
