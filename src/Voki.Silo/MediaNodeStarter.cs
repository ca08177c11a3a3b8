using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Voki.Media.Sfu;

namespace Voki.Silo;

/// <summary>
/// Binds the media port and warms DTLS when the node starts, not on the first call; then logs once a minute what the
/// media plane's counters did in that minute (drops and failures included), when anything moved, and every bug the media
/// plane caught and went on from, with its stack (at most one per site every 10 s; the counters have them all).
/// </summary>
public sealed class MediaNodeStarter(MediaNode node, Voki.Grains.Grains.RecordingOptions recordings, ILogger<MediaNodeStarter> logger) : IHostedService
{
    private static readonly TimeSpan SummaryInterval = TimeSpan.FromMinutes(1);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _summaries;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        node.Faults.Caught += (site, exception) =>
            logger.LogError(exception, "Media plane caught a bug ({Site}) and went on; voki_media_plane_events counts each", site);
        _summaries = LogSummariesAsync(_stopping.Token);
        logger.LogInformation("Media plane on UDP {Address}:{Port} (DTLS fingerprint sha-256 {Fingerprint})",
            node.AdvertisedAddress, node.Port, node.Certificate.FingerprintSha256);
        var cores = Environment.ProcessorCount;
        logger.LogInformation("Recordings under {Root} (set Recordings__Root for a persistent or shared location); {Slots} composition(s) at once on {Cores} cores while live calls run, {IdleSlots} while none do (Recordings__CompositionSlots), below normal priority",
            recordings.Root, recordings.CompositionSlotsFor(liveCalls: true, cores), cores, recordings.CompositionSlotsFor(liveCalls: false, cores));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_summaries is not null) await _summaries.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task LogSummariesAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(SummaryInterval);
        var previous = node.Counters.Snapshot();
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                var current = node.Counters.Snapshot();
                var changes = MediaCounters.Changes(current, previous);
                previous = current;
                if (changes.Length > 0) logger.LogInformation("Media plane, last minute: {Changes}", changes);
            }
        }
        catch (OperationCanceledException) { /* the node stops */ }
    }
}
