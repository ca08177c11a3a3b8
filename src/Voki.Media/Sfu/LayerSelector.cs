namespace Voki.Media.Sfu;

/// <summary>
/// Which simulcast layer a subscriber gets: the best layer that is flowing and that its share of the downlink
/// (<see cref="PublisherBitrateFit.Share"/>) carries, the lowest flowing one when none fits. A layer is kept until the
/// share falls below <see cref="KeepTolerance"/> of its measured bitrate (an overused link's estimate drops well below
/// what it was sent), so a share just at a layer's rate does not
/// switch back and forth with each keyframe (the share already leaves room for overhead and audio). Without an
/// estimate the subscriber gets the best layer.
/// </summary>
public static class LayerSelector
{
    /// <remarks>
    /// A browser's first estimate is what it has received so far: the layer it gets, its audio and overhead. Less the
    /// share's headroom and audio allowance that is about 0.85 of the layer's rate, which must not send it down.
    /// </remarks>
    public const double KeepTolerance = 0.8;

    /// <param name="bitrates">Each layer's measured bit/s, lowest layer first; 0 for a layer that is not flowing.</param>
    /// <param name="current">The layer the subscriber receives now, −1 for none yet.</param>
    public static int Choose(ReadOnlySpan<long> bitrates, long? share, int current)
    {
        var lowest = -1;
        var best = -1;
        for (var i = 0; i < bitrates.Length; i++)
        {
            if (bitrates[i] <= 0) continue;
            if (lowest < 0) lowest = i;
            best = i;
        }
        if (best < 0) return current;
        if (share is not { } budget) return best;
        var choice = lowest;
        for (var i = lowest; i < bitrates.Length; i++)
        {
            if (bitrates[i] <= 0) continue;
            var needed = i > current ? bitrates[i] : bitrates[i] * KeepTolerance;
            if (needed <= budget) choice = i;
        }
        return choice;
    }
}

/// <summary>
/// One subscriber's simulcast layer kept fitted to its downlink: the target layer from <see cref="LayerSelector"/>, a
/// <see cref="DownlinkProbe"/> while the estimate is what keeps it below a layer its link may well carry, and the layer a
/// probe proved held while the estimate catches up (<see cref="ProvenLayer"/>).
/// </summary>
internal static class LayerAllocation
{
    /// <summary>Updates <paramref name="forwarded"/>'s target layer; returns the layer whose keyframe it now waits for, or null.</summary>
    /// <param name="share">The subscriber's share of its downlink estimate for this track (<see cref="PublisherBitrateFit.Share"/>).</param>
    /// <remarks>
    /// A subscriber without an estimate gets the best layer, as a single-layer publisher's subscribers get its full
    /// stream: a browser reports its first estimate only after about 5 s, or as soon as its link is overused, and a
    /// subscriber started low would then spend most of a minute probing its way up by 8 % a second.
    /// </remarks>
    public static PublishedTrack? Update(ForwardedTrack forwarded, long? share, TimeSpan now)
    {
        if (forwarded.Simulcast is not { } simulcast) return null;
        var layers = simulcast.Layers;
        Span<long> bitrates = stackalloc long[layers.Length];
        for (var i = 0; i < layers.Length; i++) bitrates[i] = layers[i].Ssrc == 0 ? 0 : layers[i].Bitrate.Current(now);
        var current = forwarded.CurrentLayer;
        var lastNack = Interlocked.Read(ref forwarded.Subscriber.LastNackReceivedTicks);
        var nacks = Interlocked.Read(ref forwarded.Subscriber.NacksReceived);
        var target = LayerSelector.Choose(bitrates, share, current);
        if (target < 0) return null;
        if (forwarded.Proven is { } proven)
        {
            if (target >= proven.Layer || bitrates[proven.Layer] <= 0 || !proven.Holds(share, nacks, now)) forwarded.Proven = null;
            else target = proven.Layer;
        }
        if (current >= 0 && target < current && !MustGoDown(forwarded, bitrates[current], share, lastNack, now)) target = current;
        else if (target >= current) forwarded.LowerWantedSince = TimeSpan.Zero;
        if (Probe(forwarded, bitrates, share, current, target, nacks, now) is { } up)
        {
            // The higher layer carries more packets, and so more of the link's random losses.
            var baseline = forwarded.Probe.BaselineNacks * bitrates[up] / Math.Max(1, bitrates[current]);
            forwarded.Proven = new ProvenLayer(up, share!.Value, now, nacks, baseline);
            target = up;
        }
        forwarded.TargetLayer = target;
        return target != current ? layers[target] : null;
    }

    /// <summary>Losses on the subscriber's downlink (it NACKs) within this long make a lower estimate count at once.</summary>
    public static readonly TimeSpan LossRecent = TimeSpan.FromSeconds(1);
    /// <summary>Without losses, how long the estimate must stay low before the layer goes down.</summary>
    public static readonly TimeSpan DipPatience = TimeSpan.FromSeconds(2);
    /// <summary>An estimate this far below the layer's rate sends it down at once, losses or not.</summary>
    public const double FarBelow = 0.6;

    /// <summary>
    /// Whether an estimate below the current layer sends it down now. A browser's delay-based estimator cuts its estimate
    /// to 0.85 of what it receives at every overuse it sees, and a loaded machine's timing looks like overuse now and then,
    /// on a link that carries the layer well: such a dip comes without losses and recovers within a second or two. A link
    /// that cannot carry the layer fills its queue and loses packets, which the subscriber NACKs.
    /// </summary>
    private static bool MustGoDown(ForwardedTrack forwarded, long currentRate, long? share, long lastNack, TimeSpan now)
    {
        var lossy = lastNack != 0 && now.Ticks - lastNack < LossRecent.Ticks;
        if (lossy || share is not { } budget || budget < currentRate * FarBelow) return true;
        if (forwarded.LowerWantedSince == TimeSpan.Zero) { forwarded.LowerWantedSince = now; return false; }
        return now - forwarded.LowerWantedSince >= DipPatience;
    }

    /// <summary>Runs the probe for the next layer up while one is worth finding out; returns that layer once a burst proved it.</summary>
    private static int? Probe(ForwardedTrack forwarded, ReadOnlySpan<long> bitrates, long? share, int current, int target, long nacks, TimeSpan now)
    {
        var probe = forwarded.Probe;
        if (current >= 0 && target > current) { probe.Succeed(now); return null; }
        var next = -1;
        for (var i = current + 1; current >= 0 && i < bitrates.Length; i++) if (bitrates[i] > 0) { next = i; break; }
        if (share is not { } budget || next < 0 || target < current) { probe.Stop(now); return null; }
        return probe.Run(budget, bitrates[current], bitrates[next], nacks, now) == ProbeOutcome.Proven ? next : null;
    }
}

/// <summary>
/// A layer a <see cref="DownlinkProbe"/> burst showed the subscriber's link carries, held while its estimate (which
/// grows by at most about 8 % a second) catches up. It is let go once the subscriber NACKs more than its link lost
/// before (<see cref="NackAllowance"/>), once the estimate falls from its peak or stops rising (the estimator holds its
/// estimate while it sees the link overused), and after <see cref="Longest"/>.
/// </summary>
/// <param name="baselineNacks">NACKs a second the link would send on this layer as it lost packets before the probe.</param>
internal sealed class ProvenLayer(int layer, long share, TimeSpan since, long nacksAtStart, double baselineNacks)
{
    public static readonly TimeSpan Longest = TimeSpan.FromSeconds(15);
    /// <summary>How long the estimate may go without a new peak before the hold ends.</summary>
    public static readonly TimeSpan Stall = TimeSpan.FromSeconds(2);

    public int Layer { get; } = layer;
    private long _peak = share;
    private TimeSpan _peakAt = since;

    public bool Holds(long? share, long nacks, TimeSpan now)
    {
        if (share is not { } estimate || now - since > Longest || !NackAllowance.Within(nacks - nacksAtStart, baselineNacks, now - since)) return false;
        if (estimate > _peak) (_peak, _peakAt) = (estimate, now);
        return estimate >= _peak * DownlinkProbe.FallToFail && now - _peakAt <= Stall;
    }
}
