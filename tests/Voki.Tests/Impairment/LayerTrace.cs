using System.Diagnostics;
using System.Text;
using Voki.Media.Sfu;

namespace Voki.Tests.Impairment;

/// <summary>
/// What the SFU's layer allocation saw and chose for each simulcast subscriber, sampled twice a second while a test
/// runs: the subscriber's estimate and share, the layer it gets and wants, each layer's rate, the probe's padding and
/// how long ago it last NACKed. Printed by the impairment tests so a slow recovery can be read, not guessed.
/// </summary>
public sealed class LayerTrace : IAsyncDisposable
{
    private readonly MediaNode _node;
    private readonly StringBuilder _lines = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Task _sampling;

    private LayerTrace(MediaNode node)
    {
        _node = node;
        _sampling = Task.Run(Sample);
    }

    public static LayerTrace Start(MediaNode node) => new(node);

    /// <summary>Marks a moment (the cap applied, lifted) in the trace.</summary>
    public void Mark(string what)
    {
        lock (_lines) _lines.AppendLine($"{_clock.Elapsed.TotalSeconds,6:F1}s  ---- {what}");
    }

    private async Task Sample()
    {
        while (!_stop.IsCancellationRequested)
        {
            var now = MediaNode.Now;
            foreach (var session in _node.SessionsSnapshot())
                foreach (var peer in session.PeersSnapshot())
                    foreach (var forwarded in peer.Forwarded.Values)
                    {
                        if (forwarded.Simulcast is not { } simulcast || !forwarded.Active) continue;
                        var estimate = peer.Downlink.Current(now);
                        var share = PublisherBitrateFit.Share(peer, now);
                        var rates = string.Join('/', simulcast.Layers.Select(l => l.Ssrc == 0 ? "-" : (l.Bitrate.Current(now) / 1000).ToString()));
                        var nack = Interlocked.Read(ref peer.LastNackReceivedTicks);
                        var nackAge = nack == 0 ? "never" : $"{(now.Ticks - nack) / (double)TimeSpan.TicksPerSecond:F1}s";
                        lock (_lines)
                            _lines.AppendLine($"{_clock.Elapsed.TotalSeconds,6:F1}s  {peer.ParticipantId[..Math.Min(8, peer.ParticipantId.Length)]}  remb {(estimate / 1000)?.ToString() ?? "-"}k share {(share / 1000)?.ToString() ?? "-"}k  layer {forwarded.CurrentLayer}->{forwarded.TargetLayer}  rates {rates}k  probe {forwarded.Probe.Rate / 1000}k{(forwarded.Probe.Bursting ? " burst" : "")}{(forwarded.Proven is { } proven ? $" holding proven {proven.Layer}" : "")}  nack {nackAge}");
                    }
            try { await Task.Delay(500, _stop.Token); } catch (OperationCanceledException) { }
        }
    }

    public override string ToString()
    {
        lock (_lines) return _lines.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _sampling;
        _stop.Dispose();
    }
}
