namespace Voki.Silo;

/// <summary>
/// Node:Tls is set but cannot be used: a node that started anyway would either run the cluster in cleartext or
/// fail every connection later with an error far from its cause. The message names every setting to fix at once.
/// </summary>
public sealed class SiloTlsConfigurationException(IReadOnlyList<string> problems)
    : Exception("Voki refuses to start: silo-to-silo TLS (Node:Tls) is configured but unusable:\n  - " + string.Join("\n  - ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
