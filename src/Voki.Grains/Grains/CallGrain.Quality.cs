using Microsoft.Extensions.Logging;
using Voki.Grains.Model;
using Sfu = Voki.Media.Sfu;

namespace Voki.Grains.Grains;

/// <summary>
/// The call's quality per participant (issue 13 item 3): read live from the SFU session this activation owns, and
/// kept in the grain's own state when the media ends, so the call keeps its summary after completion.
/// </summary>
public sealed partial class CallGrain
{
    /// <summary>Everyone who negotiated media in this call, for the names and roles of its quality report.</summary>
    private readonly Dictionary<string, Participant> _qualityParticipants = [];

    public Task<CallQualityReport?> Quality()
    {
        if (!state.State.Exists) return Task.FromResult<CallQualityReport?>(null);
        if (_media is { } media) return Task.FromResult<CallQualityReport?>(Report(media.Quality(), live: true));
        return Task.FromResult<CallQualityReport?>(quality.State.Exists ? quality.State : new CallQualityReport());
    }

    /// <summary>Writes the summary of the media that is ending; a failure to write is logged, never stops the call's end.</summary>
    private async Task KeepQuality()
    {
        if (_media is not { } media) return;
        var report = Report(media.Quality(), live: false);
        if (report.Participants.Count == 0) return;
        try
        {
            quality.State = report;
            await quality.WriteStateAsync();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Call {CallId}: its quality summary could not be kept", state.State.Id);
        }
    }

    private CallQualityReport Report(IReadOnlyList<Sfu.ParticipantQualitySnapshot> snapshots, bool live) => new()
    {
        Live = live,
        MeasuredAt = Clock.Now(),
        Participants = snapshots.Select(s => Figures(s, live)).OrderBy(p => p.Role == "customer" ? 0 : 1).ThenBy(p => p.ParticipantId, StringComparer.Ordinal).ToList(),
    };

    private ParticipantCallQuality Figures(Sfu.ParticipantQualitySnapshot s, bool live)
    {
        var who = _qualityParticipants.GetValueOrDefault(s.ParticipantId) ?? new Participant { Id = s.ParticipantId };
        QualityFigure Figure(Sfu.QualityFigure f) => new() { Current = live ? Round(f.Current) : null, Average = Round(f.Average), P95 = Round(f.P95) };
        var (up, down) = (s.Uplink, s.Downlink);
        var uplink = new UplinkFigures
        {
            Loss = Figure(up.Loss), JitterMs = Figure(up.JitterMs), Bitrate = Figure(up.Bitrate),
            PacketsExpected = up.PacketsExpected, PacketsLost = up.PacketsLost,
            LossTotal = up.PacketsExpected > 0 ? Math.Round((double)up.PacketsLost / up.PacketsExpected, 4) : 0,
            PacketsUnrecovered = up.PacketsUnrecovered, Bytes = up.Bytes,
            Freezes = up.Freezes, FrozenSeconds = Math.Round(up.FrozenSeconds, 2), Frozen = live && up.Frozen,
        };
        var downlink = new DownlinkFigures
        {
            Loss = Figure(down.Loss), JitterMs = Figure(down.JitterMs), RoundTripMs = Figure(down.RoundTripMs), Bitrate = Figure(down.Bitrate),
            PacketsSent = down.PacketsSent, PacketsLost = down.PacketsLost,
            LossTotal = down.PacketsSent > 0 ? Math.Round(Math.Min(1, (double)down.PacketsLost / down.PacketsSent), 4) : 0,
            Bytes = down.Bytes, KeyframeRequests = down.KeyframeRequests,
            Layers = live ? down.Layers.Select(l => new ReceivedLayer { PublisherId = l.PublisherId, Rid = l.Rid, Layer = l.Layer, Layers = l.Layers }).ToList() : [],
        };
        // Live: the badge of the last seconds; kept: of the whole call.
        double? Worst(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
        var rating = live
            ? QualityRating.Of(Worst(up.Loss.Current, down.Loss.Current), Worst(up.JitterMs.Current, down.JitterMs.Current), down.RoundTripMs.Current)
            : QualityRating.Of(Worst(up.Loss.Average, down.Loss.Average), Worst(up.JitterMs.Average, down.JitterMs.Average), down.RoundTripMs.Average);
        return new ParticipantCallQuality
        {
            ParticipantId = s.ParticipantId, Role = who.Role, Name = who.Name, Connected = live && s.Connected,
            MeasuredSeconds = Math.Round(s.MeasuredSeconds, 1), Quality = rating, Uplink = uplink, Downlink = downlink,
        };
    }

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 4) : null;
}
