using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Connections.Security;

namespace Voki.Silo;

/// <summary>
/// Puts every silo connection, in and out (and the client gateway's, when one is opened), behind TLS with mutual
/// authentication: each end presents its node certificate and refuses a peer that <see cref="PeerCertificateValidator"/>
/// does not trust. This is what Orleans' UseTls sets up, wired through the options so that a refusal is logged.
/// </summary>
public static class SiloTls
{
    public static void UseVokiTls(this ISiloBuilder silo, SiloCertificates certificates)
    {
        silo.Services.AddSingleton(certificates);
        silo.Services.AddOptions<SiloConnectionOptions>().Configure<ILoggerFactory>((connections, loggers) =>
        {
            var tls = Options(certificates, loggers.CreateLogger(typeof(SiloTls)));
            connections.ConfigureSiloInboundConnection(connection => connection.UseServerTls(tls));
            connections.ConfigureGatewayInboundConnection(connection => connection.UseServerTls(tls));
            connections.ConfigureSiloOutboundConnection(connection => connection.UseClientTls(tls));
        });
    }

    private static TlsOptions Options(SiloCertificates certificates, ILogger logger) => new()
    {
        LocalCertificate = certificates.NodeCertificate,
        RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
        ClientCertificateMode = RemoteCertificateMode.RequireCertificate,
        CheckCertificateRevocation = false,
        // The operating system's verdict (sslPolicyErrors) is ignored on purpose: it judges against the machine's
        // public roots and the host name, neither of which says whether the peer belongs to this cluster.
        RemoteCertificateValidation = (peer, _, _) =>
        {
            if (certificates.Peers.Refusal(peer) is not { } refusal) return true;
            logger.LogWarning("Refused a silo connection: the peer's certificate {Subject} (SHA-256 {Thumbprint}) is not trusted: {Reason}",
                peer.Subject, PeerCertificateValidator.Sha256Thumbprint(peer), refusal);
            return false;
        },
    };
}
