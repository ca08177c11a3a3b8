namespace Voki.Silo;

/// <summary>Where this node sits in the cluster (configuration section "Node").</summary>
public sealed class NodeOptions
{
    public string ClusterId { get; set; } = "voki";
    public string ServiceId { get; set; } = "voki";
    public string AdvertisedAddress { get; set; } = "127.0.0.1";
    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;
}
