namespace Voki.Media.Recording;

/// <summary>What the timeline says about one track's clock: its track event, sender reports and sync samples.</summary>
public sealed record TrackClock(TimelineEvent Track, IReadOnlyList<TimelineEvent> SenderReports, IReadOnlyList<TimelineEvent> Syncs)
{
    public int ClockRate => Track.ClockRate is int rate && rate > 0 ? rate : TrackPlacement.DefaultClockRate(Track.Kind);
}

/// <summary>
/// Puts a track's first RTP timestamp on the capture clock. With RTCP sender reports (RFC 3550 §6.4.1), an SR maps
/// one RTP timestamp of the track to the sender's wall clock (ntp_ms); the sender's audio and video share that clock,
/// so placing both through it keeps their relative timing, which is lip sync. The sender's clock differs from the
/// capture clock by an offset estimated per participant as the smallest (arrival − sender time) over all its SRs and
/// over its tracks' sync samples (<see cref="ArrivalSampler"/>): the clock difference plus the least network delay seen.
/// A track without a usable SR is placed by its least-delayed sync samples, which carry that same least delay, so it
/// stays in step with the SR-placed tracks however busy the node or late a report; without samples, by its first packet.
/// </summary>
public static class TrackPlacement
{
    /// <summary>An SR-based start further than this from the first packet's arrival is taken for a broken sender clock.</summary>
    public const long MaxSenderReportDeviationMs = 5000;

    /// <summary>Sync samples this long after a track's first packet are not used to place it: the sender's clock drifts.</summary>
    public const long SyncPlacementWindowMs = 20_000;

    /// <summary>Sender reports spanning less than this say too little about a clock's rate to correct it.</summary>
    public const long MinClockScaleSpanMs = 10_000;

    /// <summary>A rate further than this from nominal is taken for a broken clock or a timestamp jump, not drift.</summary>
    public const double MaxClockDrift = 0.01;

    /// <summary>
    /// Sender wall-clock seconds per second of the track's RTP clock, from its first and last sender reports (the RTP
    /// clock of an audio or video capture runs off its own crystal; RFC 3550 §6.4.1 gives both clocks at each report).
    /// 1 when the reports span under <see cref="MinClockScaleSpanMs"/> or disagree beyond <see cref="MaxClockDrift"/>.
    /// </summary>
    public static double ClockScale(TrackClock clock)
    {
        var reports = Usable(clock.SenderReports).OrderBy(r => r.NtpMs).ToList();
        if (reports.Count < 2) return 1.0;
        var (first, last) = (reports[0], reports[^1]);
        double wallMs = last.NtpMs!.Value - first.NtpMs!.Value;
        double mediaMs = unchecked((int)(last.Rtp!.Value - first.Rtp!.Value)) * 1000.0 / clock.ClockRate;
        if (wallMs < MinClockScaleSpanMs || mediaMs <= 0) return 1.0;
        double scale = wallMs / mediaMs;
        return Math.Abs(scale - 1) <= MaxClockDrift ? scale : 1.0;
    }

    /// <summary>Capture clock − sender clock for one participant (ms), from all its tracks' SRs and sync samples; null without any SR.</summary>
    public static double? SenderClockOffset(IEnumerable<TrackClock> tracks)
    {
        double? offset = null;
        void Consider(double candidate) { if (offset is null || candidate < offset) offset = candidate; }
        foreach (var track in tracks)
        {
            var reports = Usable(track.SenderReports);
            foreach (var sr in reports) Consider(sr.At - sr.NtpMs!.Value);
            if (reports.Count == 0) continue;
            foreach (var sample in track.Syncs)
            {
                // The nearest report maps the sample: the sender's clock drifts away from older mappings.
                var nearest = reports.MinBy(sr => Math.Abs((long)unchecked((int)(sr.Rtp!.Value - sample.Rtp!.Value))));
                Consider(sample.At - SenderTimeOfRtp(sample.Rtp!.Value, track.ClockRate, nearest!));
            }
        }
        return offset;
    }

    /// <summary>The sender's wall clock (Unix ms) at RTP timestamp <paramref name="firstRtp"/>, from one SR of the same track.</summary>
    public static double SenderTimeOfRtp(uint firstRtp, int clockRate, TimelineEvent senderReport)
    {
        // RTP timestamps wrap at 2^32: the signed 32-bit difference is right within ±6.6 h at 90 kHz.
        int ticks = unchecked((int)(senderReport.Rtp!.Value - firstRtp));
        return senderReport.NtpMs!.Value - ticks * 1000.0 / clockRate;
    }

    /// <summary>
    /// The capture-clock time (Unix ms) of a track's first RTP timestamp, and how it was found. <paramref name="participantOffset"/>
    /// is <see cref="SenderClockOffset"/> of its participant.
    /// </summary>
    public static (double StartUnixMs, TrackPlacementSource Source) Place(TrackClock clock, double? participantOffset)
    {
        var track = clock.Track;
        double arrival = track.At;
        if (participantOffset is { } offset && track.FirstRtp is { } firstRtp)
        {
            // The earliest SR: the least sender clock drift since the first packet.
            var sr = Usable(clock.SenderReports).OrderBy(s => s.At).FirstOrDefault();
            if (sr is not null)
            {
                double start = SenderTimeOfRtp(firstRtp, clock.ClockRate, sr) + offset;
                if (Math.Abs(start - arrival) <= MaxSenderReportDeviationMs) return (start, TrackPlacementSource.SenderReport);
            }
        }
        if (track.FirstRtp is { } first)
        {
            // Each sample dates the first RTP timestamp as its arrival minus the media time between them; the least is the least delayed.
            double? best = null;
            foreach (var sample in clock.Syncs)
            {
                if (sample.At - arrival > SyncPlacementWindowMs) continue;
                double start = sample.At - unchecked((int)(sample.Rtp!.Value - first)) * 1000.0 / clock.ClockRate;
                if (Math.Abs(start - arrival) <= MaxSenderReportDeviationMs && (best is null || start < best)) best = start;
            }
            if (best is { } placed) return (Math.Min(placed, arrival), TrackPlacementSource.ArrivalSamples);
        }
        return (arrival, TrackPlacementSource.FirstPacketArrival);
    }

    private static List<TimelineEvent> Usable(IReadOnlyList<TimelineEvent> reports) =>
        reports.Where(s => s.Rtp is not null && s.NtpMs is not null && s.At > 0).ToList();

    public static int DefaultClockRate(string? kind) => kind == "video" ? 90000 : 48000;
}
