using Voki.Api.Auth;

namespace Voki.Api.Infrastructure;

/// <summary>
/// Outside Development a node refuses to start on settings that would expose it: a published or weak secret, or
/// recordings in a directory a restart wipes. Settings that cannot mean anything (a malformed proxy or public URL) are
/// refused everywhere. The message names every setting to fix at once.
/// </summary>
public sealed class UnsafeConfigurationException(IReadOnlyList<string> problems)
    : Exception("Voki refuses to start with these settings:\n  - " + string.Join("\n  - ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;

    public static void ThrowIfAny(IHostEnvironment environment, IConfiguration configuration, AuthOptions auth, OperatorOptions operatorOptions,
        DashboardAccessOptions? dashboard = null)
    {
        var problems = TrustedProxies.From(configuration).Refusals().ToList();
        if (PublicUrls.Refusal(configuration) is { } publicUrl) problems.Add(publicUrl);
        dashboard ??= new DashboardAccessOptions();
        problems.AddRange(dashboard.Refusals());
        problems.AddRange(Metrics.MetricsOptions.MalformedRefusals(configuration));
        if (environment.IsDevelopment())
        {
            if (problems.Count > 0) throw new UnsafeConfigurationException(problems);
            return;
        }
        problems.AddRange(SigningKeys.Refusals(auth).Concat(OperatorOptions.Refusals(operatorOptions)).Concat(dashboard.ProductionRefusals())
            .Concat(Metrics.MetricsOptions.Refusals(configuration)));
        if (string.IsNullOrWhiteSpace(configuration["Recordings:Root"]))
            problems.Add("Recordings:Root is not set, so captures and recordings would go to the temp directory, which a restart " +
                         "(or the unit's PrivateTmp) wipes. Set Recordings__Root to a persistent directory.");
        if (problems.Count > 0) throw new UnsafeConfigurationException(problems);
    }
}
