using Voki.Media.Rtp;

namespace Voki.Media.Sfu;

/// <summary>
/// One participant's call quality, sampled once a second when its receiver reports go out (after each published track's
/// report interval was taken, RFC 3550 §A.3): uplink loss (as first sent, and what stayed lost), jitter and bitrate of
/// what it publishes; downlink loss and jitter from its receiver reports about our streams (§6.4.1), round-trip time,
/// bitrate sent, and the simulcast layers it gets; its camera's freezes. Kept by the session for the whole call, so a
/// participant who reconnects (a new transport) continues its figures. Thread-safe.
/// </summary>
public sealed class ParticipantQuality(string participantId)
{
    /// <summary>What "current" covers: long enough that one lost burst does not swing it, short enough to follow a change.</summary>
    public static readonly TimeSpan Recent = TimeSpan.FromSeconds(5);
    private const int RecentSamples = 5;

    private readonly object _gate = new();
    private readonly SampleReservoir _uplinkLoss = new(), _uplinkJitter = new(), _uplinkBitrate = new();
    private readonly SampleReservoir _downlinkLoss = new(), _downlinkJitter = new(), _roundTrip = new(), _downlinkBitrate = new();
    private readonly Queue<Second> _recent = new();
    private long _expected, _lost, _unrecovered;
    private Cumulative _bytesIn, _bytesOut, _packetsSent, _reportedLost, _keyframeRequests, _freezeCount, _frozenTicks;
    private bool _frozenNow;
    private TimeSpan _lastSampleAt, _measured;
    private readonly Dictionary<ForwardedTrack, ReportedReception> _reportsTaken = [];
    private IReadOnlyList<ReceivedLayer> _layers = [];

    public string ParticipantId => participantId;

    private readonly record struct Second(long Expected, long Lost, double? Jitter, double Bitrate, double? DownLoss, double? DownJitter, double? RoundTrip, double DownBitrate);

    /// <summary>
    /// A value that a transport's counters give, summed across its transports and tracks: when the counters fall (a track
    /// went, a new transport starts from 0) what they had reached is kept.
    /// </summary>
    private struct Cumulative
    {
        private long _base, _last;
        public long Observe(long current)
        {
            if (current < _last) _base += _last - current;
            _last = current;
            return _base + current;
        }
        public readonly long Total => _base + _last;
    }

    /// <summary>Takes this second's figures from <paramref name="peer"/>; returns them for metrics.</summary>
    internal QualitySample Sample(PeerConnection peer, TimeSpan now)
    {
        long expected = 0, lost = 0, unrecovered = 0;
        double? audioJitter = null, videoJitter = null;
        var freezes = new FreezeTotals();
        foreach (var track in peer.Published.Values)
        {
            expected += track.LastFirstArrivalInterval.Expected;
            lost += track.LastFirstArrivalInterval.Lost;
            unrecovered += track.LastInterval.Lost;
            var jitter = track.Jitter.Current.TotalMilliseconds;
            if (track.Loss.Received < 2) continue;
            if (track.Kind == "audio") audioJitter = Math.Max(audioJitter ?? 0, jitter);
            else videoJitter = Math.Max(videoJitter ?? 0, jitter);
            if (track.Kind == "video" && track.Simulcast is null) freezes += track.Freezes.Totals(now);
        }
        foreach (var simulcast in peer.Simulcasts.Values) freezes += simulcast.Freezes.Totals(now);

        long packetsSent = 0, reportedLost = 0, keyframeRequests = 0;
        double downLossSum = 0;
        var downLossReports = 0;
        double? downAudioJitter = null, downVideoJitter = null;
        var layers = new List<ReceivedLayer>();
        foreach (var forwarded in peer.Forwarded.Values)
        {
            packetsSent += forwarded.PacketsSent;
            keyframeRequests += Interlocked.Read(ref forwarded.KeyframeRequestsReceived);
            if (forwarded.Simulcast is { } simulcast && forwarded.Active && forwarded.CurrentLayer is var layer and >= 0)
                layers.Add(new ReceivedLayer(simulcast.Publisher.ParticipantId, simulcast.Rids[layer], layer, simulcast.Layers.Length));
            if (forwarded.Reported is not { } reported) continue;
            reportedLost += reported.OwnLost;
            var jitter = InterarrivalJitter.ToTime(reported.Block.Jitter, forwarded.Source.ClockRate).TotalMilliseconds;
            if (forwarded.Source.Kind == "audio") downAudioJitter = Math.Max(downAudioJitter ?? 0, jitter);
            else downVideoJitter = Math.Max(downVideoJitter ?? 0, jitter);
            // A report counts towards this second's loss once (receivers report every second or so, audio less often), as
            // the loss between it and the previous one of the same stream, less the gaps we forwarded meanwhile.
            ReportedReception? previous;
            lock (_gate)
            {
                if (_reportsTaken.TryGetValue(forwarded, out previous) && ReferenceEquals(previous, reported)) continue;
                _reportsTaken[forwarded] = reported;
            }
            if (previous is null) continue;
            var expectedBetween = unchecked((int)(reported.Block.ExtendedHighestSequence - previous.Block.ExtendedHighestSequence));
            if (expectedBetween <= 0) continue;
            downLossSum += Math.Clamp((double)(reported.OwnLost - previous.OwnLost) / expectedBetween, 0, 1);
            downLossReports++;
        }

        lock (_gate)
        {
            foreach (var gone in _reportsTaken.Keys.Where(f => f.Subscriber != peer || !peer.Forwarded.ContainsKey(f.LocalSsrc)).ToList()) _reportsTaken.Remove(gone);
            var elapsed = _lastSampleAt == default ? TimeSpan.FromSeconds(1) : now - _lastSampleAt;
            if (elapsed <= TimeSpan.Zero || elapsed > TimeSpan.FromSeconds(5)) elapsed = TimeSpan.FromSeconds(1);
            _lastSampleAt = now;
            _measured += elapsed;
            var bytesInBefore = _bytesIn.Total;
            var bytesOutBefore = _bytesOut.Total;
            var bitrateIn = (_bytesIn.Observe(Interlocked.Read(ref peer.BytesReceived)) - bytesInBefore) * 8 / elapsed.TotalSeconds;
            var bitrateOut = (_bytesOut.Observe(Interlocked.Read(ref peer.BytesSent)) - bytesOutBefore) * 8 / elapsed.TotalSeconds;
            _packetsSent.Observe(packetsSent);
            _reportedLost.Observe(reportedLost);
            _keyframeRequests.Observe(keyframeRequests);
            _freezeCount.Observe(freezes.Count);
            _frozenTicks.Observe(freezes.Frozen.Ticks);
            _frozenNow = freezes.FrozenNow;
            _layers = layers;
            _expected += expected;
            _lost += lost;
            _unrecovered += unrecovered;

            // Audio paces evenly, so its jitter is the path's; a camera's also carries its encoder's timing.
            var upJitter = audioJitter ?? videoJitter;
            var downJitter = downAudioJitter ?? downVideoJitter;
            double? upLoss = expected > 0 ? Math.Clamp((double)lost / expected, 0, 1) : null;
            double? downLoss = downLossReports > 0 ? downLossSum / downLossReports : null;
            double? roundTrip = peer.RoundTrip.Measured ? peer.RoundTrip.Current.TotalMilliseconds : null;
            if (upLoss is { } l) _uplinkLoss.Add(l);
            if (upJitter is { } j) _uplinkJitter.Add(j);
            _uplinkBitrate.Add(bitrateIn);
            if (downLoss is { } dl) _downlinkLoss.Add(dl);
            if (downJitter is { } dj) _downlinkJitter.Add(dj);
            if (roundTrip is { } rt) _roundTrip.Add(rt);
            _downlinkBitrate.Add(bitrateOut);
            _recent.Enqueue(new Second(expected, lost, upJitter, bitrateIn, downLoss, downJitter, roundTrip, bitrateOut));
            while (_recent.Count > RecentSamples) _recent.Dequeue();
            return new QualitySample(upLoss, upJitter / 1000, bitrateIn, downLoss, downJitter / 1000, roundTrip / 1000, bitrateOut);
        }
    }

    public ParticipantQualitySnapshot Snapshot(bool connected)
    {
        lock (_gate)
        {
            var recent = connected ? _recent.ToArray() : [];
            var recentExpected = recent.Sum(s => s.Expected);
            double? Mean(Func<Second, double?> of) => recent.Select(of).Where(v => v is not null).Select(v => v!.Value).DefaultIfEmpty(double.NaN).Average() is var m && double.IsNaN(m) ? null : m;
            QualityFigure Figure(double? current, SampleReservoir all) => new(current, all.Mean, all.Percentile(95));
            var uplink = new UplinkQuality(
                Figure(recentExpected > 0 ? Math.Clamp((double)recent.Sum(s => s.Lost) / recentExpected, 0, 1) : null, _uplinkLoss),
                Figure(Mean(s => s.Jitter), _uplinkJitter),
                Figure(Mean(s => s.Bitrate), _uplinkBitrate),
                _expected, Math.Max(0, _lost), Math.Max(0, _unrecovered), _bytesIn.Total,
                (int)_freezeCount.Total, TimeSpan.FromTicks(_frozenTicks.Total).TotalSeconds, connected && _frozenNow);
            var downlink = new DownlinkQuality(
                Figure(Mean(s => s.DownLoss), _downlinkLoss),
                Figure(Mean(s => s.DownJitter), _downlinkJitter),
                Figure(Mean(s => s.RoundTrip), _roundTrip),
                Figure(Mean(s => s.DownBitrate), _downlinkBitrate),
                _packetsSent.Total, _reportedLost.Total, _bytesOut.Total, _keyframeRequests.Total, connected ? _layers : []);
            return new ParticipantQualitySnapshot(participantId, connected, _measured.TotalSeconds, uplink, downlink);
        }
    }
}

/// <summary>
/// A subscriber's latest report block about one of our streams (RFC 3550 §6.4.1), as received, with the gaps our stream
/// had when it came (<see cref="ForwardedTrack.Sent"/>): the report's loss less those is the subscriber's own link's.
/// </summary>
public sealed record ReportedReception(ReportBlock Block, TimeSpan At, long GapsForwarded)
{
    /// <summary>What the subscriber's own link lost: its cumulative count less what never left us.</summary>
    public long OwnLost => Math.Max(0, Block.CumulativeLost - GapsForwarded);
}
