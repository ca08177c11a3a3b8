using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Org.BouncyCastle.X509;

namespace Voki.Media.Dtls;

/// <summary>
/// A self-signed ECDSA P-256 certificate: WebRTC authenticates it by the SHA-256 fingerprint carried
/// in the signalled SDP (RFC 8827 §6.5), not by a certificate authority.
/// </summary>
public sealed class DtlsCertificate
{
    public AsymmetricKeyParameter PrivateKey { get; }
    public byte[] Der { get; }
    /// <summary>"AB:CD:…" as written in a=fingerprint:sha-256.</summary>
    public string FingerprintSha256 { get; }

    private DtlsCertificate(AsymmetricKeyParameter privateKey, byte[] der)
    {
        PrivateKey = privateKey;
        Der = der;
        FingerprintSha256 = Fingerprint(der);
    }

    public static DtlsCertificate Generate(string commonName = "voki")
    {
        var random = new SecureRandom();
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, random));
        var keys = generator.GenerateKeyPair();
        var certificate = new X509V3CertificateGenerator();
        certificate.SetSerialNumber(BigInteger.ProbablePrime(120, random));
        certificate.SetIssuerDN(new X509Name($"CN={commonName}"));
        certificate.SetSubjectDN(new X509Name($"CN={commonName}"));
        certificate.SetNotBefore(DateTime.UtcNow.AddDays(-1));
        certificate.SetNotAfter(DateTime.UtcNow.AddDays(30));
        certificate.SetPublicKey(keys.Public);
        var signed = certificate.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", keys.Private, random));
        return new DtlsCertificate(keys.Private, signed.GetEncoded());
    }

    public Certificate ToTlsCertificate(TlsCrypto crypto) => new([new BcTlsCertificate((BcTlsCrypto)crypto, Der)]);

    public static string Fingerprint(byte[] der) => Convert.ToHexString(SHA256.HashData(der)).Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + ":" + b);
}
