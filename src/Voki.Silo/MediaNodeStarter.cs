using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Voki.Media.Sfu;

namespace Voki.Silo;

/// <summary>Binds the media port and warms DTLS when the node starts, not on the first call.</summary>
public sealed class MediaNodeStarter(MediaNode node, Voki.Grains.Grains.RecordingOptions recordings, ILogger<MediaNodeStarter> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Media plane on UDP {Address}:{Port} (DTLS fingerprint sha-256 {Fingerprint})",
            node.AdvertisedAddress, node.Port, node.Certificate.FingerprintSha256);
        logger.LogInformation("Recordings under {Root} (set Recordings__Root for a persistent or shared location)", recordings.Root);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
