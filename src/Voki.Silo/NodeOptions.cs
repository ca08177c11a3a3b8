namespace Voki.Silo;

/// <summary>Where this node sits in the cluster (configuration section "Node").</summary>
public sealed class NodeOptions
{
    public string ClusterId { get; set; } = "voki";
    public string ServiceId { get; set; } = "voki";
    public string AdvertisedAddress { get; set; } = "127.0.0.1";
    public int SiloPort { get; set; } = 11111;

    /// <summary>
    /// The Orleans client gateway's port; 0, the default, opens none. Every node talks to its own silo in process, so
    /// nothing in Voki is an Orleans client: a gateway would only be a listening port more to firewall.
    /// </summary>
    public int GatewayPort { get; set; }

    /// <summary>
    /// What this node does: "media" (live calls: their grain, SFU session and UDP port), "jobs" (composing and
    /// transcribing recordings), or both, the default. A node of one role only needs Recordings:Shared.
    /// </summary>
    public string Roles { get; set; } = "media,jobs";

    /// <summary>Silo-to-silo TLS with mutual authentication; off while the section is empty.</summary>
    public SiloTlsOptions Tls { get; set; } = new();
}
