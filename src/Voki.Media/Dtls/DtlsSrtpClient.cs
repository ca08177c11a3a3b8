using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Voki.Media.Srtp;

namespace Voki.Media.Dtls;

/// <summary>
/// The DTLS client side of DTLS-SRTP, used by our load tool and tests in the browser's place:
/// it checks the server's certificate against the SDP fingerprint and presents its own.
/// </summary>
public sealed class DtlsSrtpClient(TlsCrypto crypto, DtlsCertificate certificate, string expectedServerFingerprint, SrtpProfile[] offered)
    : DefaultTlsClient(crypto)
{
    private readonly DtlsCertificate _certificate = certificate;
    private readonly string _expectedServerFingerprint = expectedServerFingerprint;
    private SrtpProfile? _profile;

    public SrtpKeyingMaterial? Keys { get; private set; }

    /// <summary>
    /// The whole handshake's time limit, retransmissions included: BouncyCastle's default is none, so a
    /// peer that stops half-way would hold its handshake thread for ever.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public override int GetHandshakeTimeoutMillis() => (int)Math.Clamp(HandshakeTimeout.TotalMilliseconds, 1, int.MaxValue);

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];

    public override IDictionary<int, byte[]> GetClientExtensions()
    {
        var extensions = base.GetClientExtensions() ?? new Dictionary<int, byte[]>();
        TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData(offered.Select(p => (int)p).ToArray(), TlsUtilities.EmptyBytes));
        return extensions;
    }

    public override void ProcessServerExtensions(IDictionary<int, byte[]> serverExtensions)
    {
        base.ProcessServerExtensions(serverExtensions);
        var chosen = TlsSrtpUtilities.GetUseSrtpExtension(serverExtensions)?.ProtectionProfiles;
        if (chosen is not [var one] || !offered.Contains((SrtpProfile)one)) throw new TlsFatalAlert(AlertDescription.illegal_parameter);
        _profile = (SrtpProfile)one;
    }

    public override TlsAuthentication GetAuthentication() => new Authentication(this);

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        var profile = _profile ?? throw new TlsFatalAlert(AlertDescription.handshake_failure);
        Keys = SrtpKeyingMaterial.Split(profile,
            m_context.ExportKeyingMaterial(SrtpKeyingMaterial.ExporterLabel, null, SrtpKeyingMaterial.Length(profile)));
    }

    private sealed class Authentication(DtlsSrtpClient client) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate)
        {
            var fingerprint = DtlsCertificate.Fingerprint(serverCertificate.Certificate.GetCertificateAt(0).GetEncoded());
            if (!string.Equals(fingerprint, client._expectedServerFingerprint, StringComparison.OrdinalIgnoreCase))
                throw new TlsFatalAlert(AlertDescription.bad_certificate);
        }

        public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest) =>
            new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(client.m_context), (BcTlsCrypto)client.Crypto,
                client._certificate.PrivateKey, client._certificate.ToTlsCertificate(client.Crypto),
                new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));
    }
}
