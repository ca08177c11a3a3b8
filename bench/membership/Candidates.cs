namespace Voki.Bench.Membership;

/// <summary>
/// A failure-detection setting to measure: configuration keys of the section "Membership" (Orleans'
/// ClusterMembershipOptions, bound over SiloSetup's defaults), passed to both nodes as environment variables.
/// </summary>
public sealed record Candidate(string Name, string Description, IReadOnlyDictionary<string, string> Membership)
{
    public string Overrides => Membership.Count == 0 ? "(SiloSetup's defaults)" : string.Join(", ", Membership.Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>The knobs that differ from Orleans' defaults for the timeout's bounds and lifeguards, for the table.</summary>
    public string Summary => Membership.Count == 0 ? "(SiloSetup's defaults)" : string.Join(", ", Membership
        .Where(kv => kv.Key is "ProbeTimeout" or "NumMissedProbesLimit" || Distinct(kv.Key, kv.Value))
        .Select(kv => $"{kv.Key}={kv.Value}"));

    private bool Distinct(string key, string value)
    {
        var timeout = TimeSpan.Parse(Membership["ProbeTimeout"], System.Globalization.CultureInfo.InvariantCulture);
        return key switch
        {
            "MinProbeTimeout" => TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) != timeout / 2,
            "MaxProbeTimeout" => TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) != timeout * 4,
            _ => value != "true",
        };
    }

    /// <summary>
    /// Each names every knob it relies on, so that a figure stays true when SiloSetup's defaults change;
    /// "defaults" is whatever SiloSetup ships.
    /// </summary>
    public static IReadOnlyList<Candidate> All { get; } =
    [
        new("defaults", "what SiloSetup ships", new Dictionary<string, string>()),
        new("1s-2miss", "the settings before this measurement", Set("00:00:01", 2)),
        new("1s-3miss", "one more miss", Set("00:00:01", 3)),
        new("1.5s-3miss", "half again the timeout, one more miss", Set("00:00:01.5", 3)),
        new("2s-3miss", "twice the timeout, one more miss", Set("00:00:02", 3)),
        new("1s-3miss-floor1s", "adaptive timeout never below 1 s", Set("00:00:01", 3, ("MinProbeTimeout", "00:00:01"))),
        new("2s-3miss-cap4s", "twice the timeout, one more miss, adaptive timeout at most 4 s",
            Set("00:00:02", 3, ("MaxProbeTimeout", "00:00:04"))),
        new("1s-2miss-bare", "the old settings without Orleans' lifeguards (no timeout extension when the prober is degraded, no vote suppression on an active connection)",
            Set("00:00:01", 2, ("ExtendProbeTimeoutDuringDegradation", "false"), ("EnableConnectionLivenessCheck", "false"))),
    ];

    private static Dictionary<string, string> Set(string probeTimeout, int missed, params (string Key, string Value)[] more)
    {
        // Orleans' own defaults for the adaptive timeout's bounds (half and four times ProbeTimeout) and its lifeguards.
        var timeout = TimeSpan.Parse(probeTimeout, System.Globalization.CultureInfo.InvariantCulture);
        var settings = new Dictionary<string, string>
        {
            ["ProbeTimeout"] = probeTimeout,
            ["NumMissedProbesLimit"] = missed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MinProbeTimeout"] = (timeout / 2).ToString("c"),
            ["MaxProbeTimeout"] = (timeout * 4).ToString("c"),
            ["ExtendProbeTimeoutDuringDegradation"] = "true",
            ["EnableConnectionLivenessCheck"] = "true",
        };
        foreach (var (key, value) in more) settings[key] = value;
        return settings;
    }
}
