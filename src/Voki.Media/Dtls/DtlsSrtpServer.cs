using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Voki.Media.Srtp;

namespace Voki.Media.Dtls;

/// <summary>
/// The DTLS 1.2 server side of DTLS-SRTP (RFC 5764) on BouncyCastle: ECDSA certificate, a client
/// certificate required and checked against the fingerprint from the peer's SDP, use_srtp negotiated
/// in our preference order.
/// </summary>
public sealed class DtlsSrtpServer(TlsCrypto crypto, DtlsCertificate certificate, string expectedPeerFingerprint) : DefaultTlsServer(crypto)
{
    private SrtpProfile? _profile;

    public SrtpKeyingMaterial? Keys { get; private set; }

    /// <summary>
    /// The whole handshake's time limit, retransmissions included: BouncyCastle's default is none, so a
    /// peer that stops half-way would hold its handshake thread for ever.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public override int GetHandshakeTimeoutMillis() => (int)Math.Clamp(HandshakeTimeout.TotalMilliseconds, 1, int.MaxValue);

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() =>
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    protected override TlsCredentialedSigner GetECDsaSignerCredentials() =>
        new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(m_context), (BcTlsCrypto)Crypto, certificate.PrivateKey,
            certificate.ToTlsCertificate(Crypto), new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));

    public override CertificateRequest GetCertificateRequest() =>
        new([ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign],
            TlsUtilities.GetDefaultSupportedSignatureAlgorithms(m_context), null);

    public override void NotifyClientCertificate(Certificate clientCertificate)
    {
        if (clientCertificate.IsEmpty) throw new TlsFatalAlert(AlertDescription.certificate_required);
        var fingerprint = DtlsCertificate.Fingerprint(clientCertificate.GetCertificateAt(0).GetEncoded());
        if (!string.Equals(fingerprint, expectedPeerFingerprint, StringComparison.OrdinalIgnoreCase))
            throw new TlsFatalAlert(AlertDescription.bad_certificate);
    }

    public override void ProcessClientExtensions(IDictionary<int, byte[]> clientExtensions)
    {
        base.ProcessClientExtensions(clientExtensions);
        var offered = TlsSrtpUtilities.GetUseSrtpExtension(clientExtensions)?.ProtectionProfiles
            ?? throw new TlsFatalAlert(AlertDescription.handshake_failure);
        _profile = SrtpProfiles.Preference.Cast<SrtpProfile?>().FirstOrDefault(p => offered.Contains((int)p!.Value))
            ?? throw new TlsFatalAlert(AlertDescription.handshake_failure);
    }

    public override IDictionary<int, byte[]> GetServerExtensions()
    {
        var extensions = base.GetServerExtensions() ?? new Dictionary<int, byte[]>();
        TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData([(int)_profile!.Value], TlsUtilities.EmptyBytes));
        return extensions;
    }

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        var profile = _profile!.Value;
        Keys = SrtpKeyingMaterial.Split(profile,
            m_context.ExportKeyingMaterial(SrtpKeyingMaterial.ExporterLabel, null, SrtpKeyingMaterial.Length(profile)));
    }
}
