using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Voki.Silo;

/// <summary>
/// Decides whether the certificate the other end of a silo connection presented belongs to this cluster: it chains
/// to one of the configured authorities and/or is one of the pinned SHA-256 fingerprints (both, when both are set).
/// The host name is not checked: nodes reach each other by the IP address in the membership table, and what makes a
/// node a member is holding a certificate from the cluster's authority, not its address.
/// </summary>
public sealed class PeerCertificateValidator(X509Certificate2Collection authorities, IReadOnlySet<string> allowedThumbprints)
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    public X509Certificate2Collection Authorities { get; } = authorities;
    public IReadOnlySet<string> AllowedThumbprints { get; } = allowedThumbprints;

    /// <summary>Why <paramref name="peer"/> is refused, or null when it is trusted.</summary>
    public string? Refusal(X509Certificate2 peer)
    {
        if (AllowedThumbprints.Count > 0 && !AllowedThumbprints.Contains(Sha256Thumbprint(peer)))
            return $"its SHA-256 fingerprint {Sha256Thumbprint(peer)} is not in Node:Tls:AllowedThumbprints";
        var now = DateTime.Now;
        if (now < peer.NotBefore || now > peer.NotAfter)
            return $"it is valid only from {peer.NotBefore:u} to {peer.NotAfter:u}";
        if (Authorities.Count == 0) return null;

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(Authorities);
        // A private cluster authority publishes no revocation lists and nodes must not reach out to fetch issuers:
        // a certificate is withdrawn by replacing the authority (deploy/README.md, "Silo-to-silo TLS").
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        // Every node both accepts connections and opens them, so its certificate must be good for both ends.
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuthentication);
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuthentication);
        if (chain.Build(peer)) return null;
        var statuses = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
        return $"it does not chain to Node:Tls:CaCertificatePath ({string.Join("; ", statuses)})";
    }

    public static string Sha256Thumbprint(X509Certificate2 certificate) => certificate.GetCertHashString(HashAlgorithmName.SHA256);

    /// <summary>"AB:cd:…" or "abcd…" as the upper-case hex that <see cref="Sha256Thumbprint"/> gives, or null when it is not one.</summary>
    public static string? NormalizeThumbprint(string text)
    {
        var hex = new string(text.Where(c => c != ':' && !char.IsWhiteSpace(c)).ToArray()).ToUpperInvariant();
        return hex.Length == 64 && hex.All(Uri.IsHexDigit) ? hex : null;
    }
}
