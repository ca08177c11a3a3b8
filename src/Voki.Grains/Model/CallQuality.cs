using System.Text.Json.Serialization;

namespace Voki.Grains.Model;

/// <summary>
/// A call's quality per participant, as its SFU session measured it (Voki.Media's <c>ParticipantQualitySnapshot</c>):
/// live while the call has media, then kept in the call grain's state as the call's summary. Serialised as the API's
/// <c>GET /api/v1/calls/:id/quality</c> answer.
/// </summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record CallQualityReport
{
    /// <summary>True while the call's media session is open; false for the summary kept when it ended.</summary>
    public bool Live { get; init; }
    public DateTime? MeasuredAt { get; init; }
    public IReadOnlyList<ParticipantCallQuality> Participants { get; init; } = [];
    [JsonIgnore] public bool Exists => MeasuredAt is not null;
}

[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record ParticipantCallQuality
{
    public string ParticipantId { get; init; } = "";
    public string Role { get; init; } = "";
    public string Name { get; init; } = "";
    /// <summary>Whether its media is connected now (always false in the kept summary).</summary>
    public bool Connected { get; init; }
    /// <summary>Seconds of media measured (its receiver-report intervals), across reconnections.</summary>
    public double MeasuredSeconds { get; init; }
    /// <summary><see cref="QualityRating"/>: good, fair or poor; null before anything was measured.</summary>
    public string? Quality { get; init; }
    public UplinkFigures Uplink { get; init; } = new();
    public DownlinkFigures Downlink { get; init; } = new();
}

/// <summary>Over the last 5 s (null after the call), the mean and the 95th percentile of every second measured.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record QualityFigure
{
    public double? Current { get; init; }
    public double? Average { get; init; }
    public double? P95 { get; init; }
}

[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record UplinkFigures
{
    public QualityFigure Loss { get; init; } = new();
    public QualityFigure JitterMs { get; init; } = new();
    public QualityFigure Bitrate { get; init; } = new();
    public long PacketsExpected { get; init; }
    public long PacketsLost { get; init; }
    public double LossTotal { get; init; }
    public long PacketsUnrecovered { get; init; }
    public long Bytes { get; init; }
    public int Freezes { get; init; }
    public double FrozenSeconds { get; init; }
    public bool Frozen { get; init; }
}

[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record DownlinkFigures
{
    public QualityFigure Loss { get; init; } = new();
    public QualityFigure JitterMs { get; init; } = new();
    public QualityFigure RoundTripMs { get; init; } = new();
    public QualityFigure Bitrate { get; init; } = new();
    public long PacketsSent { get; init; }
    public long PacketsLost { get; init; }
    public double LossTotal { get; init; }
    public long Bytes { get; init; }
    public long KeyframeRequests { get; init; }
    public IReadOnlyList<ReceivedLayer> Layers { get; init; } = [];
}

/// <summary>The simulcast layer of a publisher's camera a participant receives: <c>layer</c> of <c>layers</c>, lowest 0.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record ReceivedLayer
{
    public string PublisherId { get; init; } = "";
    public string? Rid { get; init; }
    public int Layer { get; init; }
    public int Layers { get; init; }
}

/// <summary>
/// The badge of a participant: the worst of loss (uplink or downlink), jitter (either way) and round-trip time against
/// these thresholds, over the last 5 s while the call is live and over the whole call once it ended. Loss of 2 % is where
/// a voice starts to break up and retransmission begins to cost pictures; 30 ms of jitter is what a browser's jitter
/// buffer absorbs unnoticed; 200 ms of round trip is where turn-taking starts to feel late (ITU-T G.114 puts 150 ms
/// one way as the limit for natural conversation).
/// </summary>
public static class QualityRating
{
    public const string Good = "good", Fair = "fair", Poor = "poor";
    public const double GoodLoss = 0.02, PoorLoss = 0.05;
    public const double GoodJitterMs = 30, PoorJitterMs = 60;
    public const double GoodRoundTripMs = 200, PoorRoundTripMs = 400;

    public static string? Of(double? loss, double? jitterMs, double? roundTripMs)
    {
        if (loss is null && jitterMs is null && roundTripMs is null) return null;
        if (loss >= PoorLoss || jitterMs >= PoorJitterMs || roundTripMs >= PoorRoundTripMs) return Poor;
        if (loss >= GoodLoss || jitterMs >= GoodJitterMs || roundTripMs >= GoodRoundTripMs) return Fair;
        return Good;
    }
}
