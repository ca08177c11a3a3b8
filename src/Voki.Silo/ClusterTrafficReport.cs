using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Voki.Silo;

/// <summary>
/// Says at start-up how this node's silo traffic is protected. Outside Development it warns when the silo port is
/// reachable from other machines without TLS, since then any host that reaches it can join the cluster and read
/// every grain call; a node on loopback only (one machine, ./voki run) is left alone.
/// </summary>
public sealed class ClusterTrafficReport(NodeOptions node, SiloCertificates? certificates, IHostEnvironment environment, ILogger<ClusterTrafficReport> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (certificates is not null)
            logger.LogInformation("Silo-to-silo TLS with mutual authentication: this node is {Subject}; peers must present {Trust}",
                certificates.NodeCertificate.Subject, Trust(certificates.Peers));
        else if (!environment.IsDevelopment() && !IPAddress.IsLoopback(IPAddress.Parse(node.AdvertisedAddress)))
            logger.LogWarning("Silo-to-silo traffic on {Address}:{Port} is neither encrypted nor authenticated: any host that reaches the port " +
                              "can join the cluster. Set Node:Tls (deploy/README.md, \"Silo-to-silo TLS\") or keep the port on a private network.",
                node.AdvertisedAddress, node.SiloPort);
        if (node.GatewayPort != 0)
            logger.LogInformation("Orleans client gateway open on port {Port} (Node:GatewayPort)", node.GatewayPort);
        return Task.CompletedTask;
    }

    private static string Trust(PeerCertificateValidator peers) =>
        string.Join(" and ", new[]
        {
            peers.Authorities.Count > 0 ? "a certificate signed by " + string.Join(" or ", peers.Authorities.Select(a => a.Subject)) : null,
            peers.AllowedThumbprints.Count > 0 ? $"one of {peers.AllowedThumbprints.Count} pinned fingerprints" : null,
        }.Where(s => s is not null));

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
