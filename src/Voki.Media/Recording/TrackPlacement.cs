namespace Voki.Media.Recording;

/// <summary>
/// Puts a track's first RTP timestamp on the capture clock. With RTCP sender reports (RFC 3550 §6.4.1), an SR maps
/// one RTP timestamp of the track to the sender's wall clock (ntp_ms); the sender's audio and video share that clock,
/// so placing both through it keeps their relative timing, which is lip sync. The sender's clock differs from the
/// capture clock by an offset estimated per participant as the smallest (arrival − ntp_ms) over all its SRs: the
/// clock difference plus the least network delay seen. Without a usable SR, the arrival of the track's first packet
/// places it.
/// </summary>
public static class TrackPlacement
{
    /// <summary>An SR-based start further than this from the first packet's arrival is taken for a broken sender clock.</summary>
    public const long MaxSenderReportDeviationMs = 5000;

    /// <summary>Capture clock − sender clock for one participant (ms), from all its sender reports; null without any.</summary>
    public static double? SenderClockOffset(IEnumerable<TimelineEvent> senderReports)
    {
        double? offset = null;
        foreach (var sr in senderReports)
        {
            if (sr.NtpMs is not { } ntp || sr.At <= 0) continue;
            double candidate = sr.At - ntp;
            if (offset is null || candidate < offset) offset = candidate;
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
    /// The capture-clock time (Unix ms) of a track's first RTP timestamp, and how it was found. <paramref name="senderReports"/>
    /// are the SRs of this track's SSRC; <paramref name="participantOffset"/> is <see cref="SenderClockOffset"/> of its participant.
    /// </summary>
    public static (double StartUnixMs, TrackPlacementSource Source) Place(
        TimelineEvent track, IEnumerable<TimelineEvent> senderReports, double? participantOffset)
    {
        double arrival = track.At;
        int clockRate = track.ClockRate is int rate && rate > 0 ? rate : DefaultClockRate(track.Kind);
        if (participantOffset is { } offset && track.FirstRtp is { } firstRtp)
        {
            // The earliest SR: the least sender clock drift since the first packet.
            var sr = senderReports.Where(s => s.Rtp is not null && s.NtpMs is not null).OrderBy(s => s.At).FirstOrDefault();
            if (sr is not null)
            {
                double start = SenderTimeOfRtp(firstRtp, clockRate, sr) + offset;
                if (Math.Abs(start - arrival) <= MaxSenderReportDeviationMs) return (start, TrackPlacementSource.SenderReport);
            }
        }
        return (arrival, TrackPlacementSource.FirstPacketArrival);
    }

    public static int DefaultClockRate(string? kind) => kind == "video" ? 90000 : 48000;
}
