using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Voki.Tests.Cluster;

/// <summary>
/// A throw-away certificate authority and node certificates it signs, written to a temporary folder as an operator
/// would lay them out (deploy/README.md, "Silo-to-silo TLS"): the CA's certificate in PEM, each node's as a password-
/// protected PKCS#12 file or as PEM certificate and key.
/// </summary>
public sealed class ClusterCertificates : IDisposable
{
    public const string Password = "node-pfx-password";

    private readonly string _folder = Directory.CreateTempSubdirectory("voki-tls-").FullName;

    public X509Certificate2 Authority { get; }
    public string AuthorityPath { get; }

    public ClusterCertificates(string authorityName = "Voki test cluster CA")
    {
        Authority = CreateAuthority(authorityName);
        AuthorityPath = Path.Combine(_folder, "ca.pem");
        File.WriteAllText(AuthorityPath, Authority.ExportCertificatePem());
    }

    /// <summary>Node:Tls settings of a node whose certificate this authority signed, as a PKCS#12 file.</summary>
    public Dictionary<string, string> PfxNode(string name, string? trustedAuthorityPath = null)
    {
        using var certificate = Issue(name);
        var path = Path.Combine(_folder, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, Password));
        return new()
        {
            ["Node:Tls:CertificatePath"] = path,
            ["Node:Tls:CertificatePassword"] = Password,
            ["Node:Tls:CaCertificatePath"] = trustedAuthorityPath ?? AuthorityPath,
        };
    }

    /// <summary>Node:Tls settings of a node whose certificate this authority signed, as PEM certificate and PEM key.</summary>
    public Dictionary<string, string> PemNode(string name)
    {
        using var certificate = Issue(name);
        var certificatePath = Path.Combine(_folder, name + ".crt");
        var keyPath = Path.Combine(_folder, name + ".key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        using var key = certificate.GetECDsaPrivateKey()!;
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return new()
        {
            ["Node:Tls:CertificatePath"] = certificatePath,
            ["Node:Tls:KeyPath"] = keyPath,
            ["Node:Tls:CaCertificatePath"] = AuthorityPath,
        };
    }

    /// <summary>A file holding this authority's certificate and <paramref name="other"/>'s: a node trusting both.</summary>
    public string AuthoritiesPath(ClusterCertificates other)
    {
        var path = Path.Combine(_folder, $"ca-and-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, Authority.ExportCertificatePem() + "\n" + other.Authority.ExportCertificatePem());
        return path;
    }

    /// <summary>A node certificate good for both ends of a TLS connection, as every silo is a server and a client.</summary>
    public X509Certificate2 Issue(string name, DateTimeOffset? notAfter = null, bool serverAndClient = true)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var usages = new OidCollection { new("1.3.6.1.5.5.7.3.1") };
        if (serverAndClient) usages.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Authority, true, false));
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(Authority, now.AddHours(-1), notAfter ?? now.AddDays(7), RandomNumberGenerator.GetBytes(16));
        return issued.CopyWithPrivateKey(key);
    }

    private static X509Certificate2 CreateAuthority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
    }

    public void Dispose()
    {
        Authority.Dispose();
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }
}
