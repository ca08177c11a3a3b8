using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Voki.Silo;

/// <summary>
/// This node's certificate and the means to check its peers', read from Node:Tls once at start-up so that a missing,
/// unreadable or unsuitable file stops the node with a message naming the setting, instead of failing each connection.
/// </summary>
public sealed class SiloCertificates
{
    public X509Certificate2 NodeCertificate { get; }
    public PeerCertificateValidator Peers { get; }

    private SiloCertificates(X509Certificate2 nodeCertificate, PeerCertificateValidator peers)
    {
        NodeCertificate = nodeCertificate;
        Peers = peers;
    }

    /// <exception cref="SiloTlsConfigurationException">Listing everything that keeps these settings from working.</exception>
    public static SiloCertificates Load(SiloTlsOptions options)
    {
        var problems = new List<string>();
        var node = LoadNodeCertificate(options, problems);
        var authorities = LoadAuthorities(options.CaCertificatePath, problems);
        var thumbprints = new HashSet<string>(StringComparer.Ordinal);
        foreach (var text in options.AllowedThumbprints.Where(t => !string.IsNullOrWhiteSpace(t)))
        {
            if (PeerCertificateValidator.NormalizeThumbprint(text) is { } thumbprint) thumbprints.Add(thumbprint);
            else problems.Add($"Node:Tls:AllowedThumbprints has \"{text}\", which is not a SHA-256 fingerprint (64 hex digits, " +
                              "e.g. from openssl x509 -noout -fingerprint -sha256 -in node.pem).");
        }
        if (string.IsNullOrWhiteSpace(options.CaCertificatePath) && options.AllowedThumbprints.All(string.IsNullOrWhiteSpace))
            problems.Add("Nothing says which peers to trust: set Node:Tls:CaCertificatePath (Node__Tls__CaCertificatePath) to the " +
                         "cluster's CA certificate, or Node:Tls:AllowedThumbprints (Node__Tls__AllowedThumbprints__0, …) to the nodes' fingerprints.");
        var peers = new PeerCertificateValidator(authorities ?? [], thumbprints);
        // A node whose own certificate its peers would refuse cannot join; say so now rather than through join time-outs.
        if (node is not null && problems.Count == 0 && peers.Refusal(node) is { } refusal)
            problems.Add($"This node's own certificate ({node.Subject}) would be refused by its peers: {refusal}.");
        if (problems.Count > 0) throw new SiloTlsConfigurationException(problems);
        return new SiloCertificates(node!, peers);
    }

    private static X509Certificate2? LoadNodeCertificate(SiloTlsOptions options, List<string> problems)
    {
        var path = options.CertificatePath;
        if (string.IsNullOrWhiteSpace(path))
        {
            problems.Add("Node:Tls:CertificatePath (Node__Tls__CertificatePath) is not set: name this node's certificate " +
                         "(a .pfx/.p12 file with its key, or a PEM certificate with Node:Tls:KeyPath).");
            return null;
        }
        if (!File.Exists(path))
        {
            problems.Add($"Node:Tls:CertificatePath (Node__Tls__CertificatePath) names {path}, which does not exist.");
            return null;
        }
        X509Certificate2 certificate;
        try
        {
            certificate = IsPem(path) ? LoadPem(path, options.KeyPath, options.CertificatePassword) : X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            problems.Add($"Node:Tls:CertificatePath {path} cannot be read as a certificate with its private key " +
                         $"(check the file, Node:Tls:KeyPath and Node:Tls:CertificatePassword): {e.Message}");
            return null;
        }
        if (!certificate.HasPrivateKey)
            problems.Add($"Node:Tls:CertificatePath {path} holds no private key: use a .pfx with its key, or set Node:Tls:KeyPath to the PEM key.");
        var now = DateTime.Now;
        if (now < certificate.NotBefore || now > certificate.NotAfter)
            problems.Add($"Node:Tls:CertificatePath {path} is valid only from {certificate.NotBefore:u} to {certificate.NotAfter:u}.");
        if (certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } usage)
        {
            var usages = usage.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToHashSet();
            if (!usages.Contains("1.3.6.1.5.5.7.3.1") || !usages.Contains("1.3.6.1.5.5.7.3.2"))
                problems.Add($"Node:Tls:CertificatePath {path} is not allowed for both TLS server and client authentication " +
                             "(extendedKeyUsage must include serverAuth and clientAuth): every node both accepts and opens connections.");
        }
        return certificate;
    }

    private static X509Certificate2 LoadPem(string certificatePath, string? keyPath, string? password)
    {
        var keyFile = string.IsNullOrWhiteSpace(keyPath) ? null : keyPath;
        if (keyFile is not null && !File.Exists(keyFile)) throw new FileNotFoundException($"Node:Tls:KeyPath names {keyFile}, which does not exist");
        using var pem = string.IsNullOrEmpty(password)
            ? X509Certificate2.CreateFromPemFile(certificatePath, keyFile)
            : X509Certificate2.CreateFromEncryptedPemFile(certificatePath, password, keyFile);
        // A PEM key is held in memory only; TLS wants the certificate and key as one PKCS#12-backed object.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private static X509Certificate2Collection? LoadAuthorities(string? path, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(path)) return null;
        if (!File.Exists(path))
        {
            problems.Add($"Node:Tls:CaCertificatePath (Node__Tls__CaCertificatePath) names {path}, which does not exist.");
            return null;
        }
        try
        {
            var authorities = new X509Certificate2Collection();
            if (IsPem(path)) authorities.ImportFromPemFile(path);
            else authorities.Add(X509CertificateLoader.LoadCertificateFromFile(path));
            if (authorities.Count > 0) return authorities;
            problems.Add($"Node:Tls:CaCertificatePath {path} holds no certificate.");
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            problems.Add($"Node:Tls:CaCertificatePath {path} cannot be read as PEM or DER certificates: {e.Message}");
        }
        return null;
    }

    private static bool IsPem(string path)
    {
        using var reader = new StreamReader(path);
        var start = new char[4096];
        var read = reader.ReadBlock(start, 0, start.Length);
        return new string(start, 0, read).Contains("-----BEGIN", StringComparison.Ordinal);
    }
}
