using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Voki.Media.Dtls;
using Voki.Media.Srtp;

namespace Voki.Tests.Media;

public sealed class DtlsSrtpTests
{
    [Theory]
    [InlineData(new[] { SrtpProfile.AesCm128HmacSha1_80, SrtpProfile.AeadAes128Gcm }, SrtpProfile.AeadAes128Gcm)]
    [InlineData(new[] { SrtpProfile.AesCm128HmacSha1_80 }, SrtpProfile.AesCm128HmacSha1_80)]
    public async Task Handshake_exports_matching_srtp_keys_in_our_preference(SrtpProfile[] offered, SrtpProfile expected)
    {
        var (server, client) = await Handshake(offered, clientPresentsExpectedCertificate: true);
        Assert.Equal(expected, server!.Profile);
        Assert.Equal(server.ClientKey, client!.ClientKey);
        Assert.Equal(server.ServerSalt, client.ServerSalt);

        // What the client protects, the server opens.
        var (_, clientOut) = client.ClientContexts();
        var (serverIn, _) = server.ServerContexts();
        var plain = SrtpContextTests.RtpPacket(1, 99, "media"u8);
        var buffer = new byte[plain.Length + 32];
        plain.CopyTo(buffer, 0);
        var length = clientOut.ProtectRtp(buffer, plain.Length);
        Assert.True(serverIn.TryUnprotectRtp(buffer, length, out var plainLength));
        Assert.Equal(plain, buffer[..plainLength]);
    }

    [Fact]
    public async Task A_client_certificate_that_does_not_match_the_sdp_fingerprint_is_refused()
    {
        var (server, _) = await Handshake([SrtpProfile.AeadAes128Gcm], clientPresentsExpectedCertificate: false);
        Assert.Null(server);
    }

    private static async Task<(SrtpKeyingMaterial? Server, SrtpKeyingMaterial? Client)> Handshake(SrtpProfile[] offered, bool clientPresentsExpectedCertificate)
    {
        var serverCertificate = DtlsCertificate.Generate();
        var clientCertificate = DtlsCertificate.Generate();
        var announced = clientPresentsExpectedCertificate ? clientCertificate : DtlsCertificate.Generate();
        QueuedDatagramTransport? clientTransport = null;
        var crypto = new BcTlsCrypto(new SecureRandom());
        var server = new DtlsServerConnection(crypto, serverCertificate, announced.FingerprintSha256, TimeSpan.FromSeconds(10), d => clientTransport!.Deliver(d.Span));
        clientTransport = new QueuedDatagramTransport(d => server.Deliver(d.Span));
        var client = new DtlsSrtpClient(crypto, clientCertificate, serverCertificate.FingerprintSha256, offered);
        var serverTask = Task.Run(() =>
        {
            try { return server.Accept(); }
            catch (TlsFatalAlert) { return null; }
        });
        var clientTask = Task.Run(() =>
        {
            try { new DtlsClientProtocol().Connect(client, clientTransport); return client.Keys; }
            catch (Exception) { return null; }
        });
        var serverKeys = await serverTask.WaitAsync(TimeSpan.FromSeconds(20));
        if (serverKeys is null) clientTransport.Close();
        var clientKeys = await clientTask.WaitAsync(TimeSpan.FromSeconds(20));
        return (serverKeys, clientKeys);
    }
}
