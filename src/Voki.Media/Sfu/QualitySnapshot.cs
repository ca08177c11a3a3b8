namespace Voki.Media.Sfu;

/// <summary>One figure of a participant's call quality: over the last <see cref="ParticipantQuality.Recent"/>, and over every
/// second measured (mean, 95th percentile); null where nothing was measured.</summary>
public sealed record QualityFigure(double? Current, double? Average, double? P95);

/// <summary>What the participant publishes, as the SFU receives it.</summary>
/// <param name="Loss">Fraction of packets the uplink lost: those that did not come the first time they were sent, per second.</param>
/// <param name="PacketsUnrecovered">Packets that never came, not even retransmitted (what our receiver reports count lost).</param>
/// <param name="Freezes">Stretches over <see cref="VideoFreezes.Threshold"/> between complete frames of its camera while its packets kept coming.</param>
public sealed record UplinkQuality(QualityFigure Loss, QualityFigure JitterMs, QualityFigure Bitrate,
    long PacketsExpected, long PacketsLost, long PacketsUnrecovered, long Bytes, int Freezes, double FrozenSeconds, bool Frozen);

/// <summary>
/// What the participant receives from the SFU, from its own receiver reports about our streams and what we sent: its loss
/// is what the reports count lost less the gaps already in what we forwarded (a publisher's uplink loss is the publisher's).
/// </summary>
/// <param name="KeyframeRequests">Keyframe requests (PLI, FIR) it sent about the video it receives: its decoder lost the picture.</param>
public sealed record DownlinkQuality(QualityFigure Loss, QualityFigure JitterMs, QualityFigure RoundTripMs, QualityFigure Bitrate,
    long PacketsSent, long PacketsLost, long Bytes, long KeyframeRequests, IReadOnlyList<ReceivedLayer> Layers);

/// <summary>The simulcast layer of one publisher's camera that the participant receives now (<paramref name="Layer"/> of <paramref name="Layers"/>, lowest 0).</summary>
public sealed record ReceivedLayer(string PublisherId, string? Rid, int Layer, int Layers);

/// <summary>One participant's call quality as the SFU saw it, for as long as it was in the call (a rejoin continues it).</summary>
public sealed record ParticipantQualitySnapshot(string ParticipantId, bool Connected, double MeasuredSeconds, UplinkQuality Uplink, DownlinkQuality Downlink);

/// <summary>One participant's figures over one second (the receiver-report interval), for metrics.</summary>
public readonly record struct QualitySample(double? UplinkLoss, double? UplinkJitterSeconds, double UplinkBitrate,
    double? DownlinkLoss, double? DownlinkJitterSeconds, double? RoundTripSeconds, double DownlinkBitrate);
