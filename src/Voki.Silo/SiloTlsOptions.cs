namespace Voki.Silo;

/// <summary>
/// Silo-to-silo TLS (configuration section "Node:Tls"). Every node presents its certificate on each connection it
/// opens or accepts and requires one from the other end, which must chain to <see cref="CaCertificatePath"/> and/or
/// be listed in <see cref="AllowedThumbprints"/>: a host that can reach the silo port but holds no such certificate
/// can neither join the cluster nor pose as one of its nodes.
/// </summary>
public sealed class SiloTlsOptions
{
    /// <summary>This node's certificate: a PKCS#12 file (.pfx/.p12) with its key, or a PEM certificate with <see cref="KeyPath"/>.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PKCS#12 file's password, or the PEM key's when it is encrypted.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>The PEM private key of a PEM <see cref="CertificatePath"/>; unset when that file holds the key too.</summary>
    public string? KeyPath { get; set; }

    /// <summary>PEM (one or more certificates) or DER: the certificate authorities a peer's certificate must chain to.</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>SHA-256 fingerprints (hex, colons allowed) of the only peer certificates accepted.</summary>
    public string[] AllowedThumbprints { get; set; } = [];

    public bool IsConfigured =>
        !string.IsNullOrWhiteSpace(CertificatePath) || !string.IsNullOrWhiteSpace(KeyPath)
        || !string.IsNullOrWhiteSpace(CaCertificatePath) || AllowedThumbprints.Any(t => !string.IsNullOrWhiteSpace(t));
}
