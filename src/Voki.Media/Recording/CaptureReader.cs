namespace Voki.Media.Recording;

/// <summary>What a track's file holds, as far as the composer needs it.</summary>
public sealed record TrackMedia
{
    /// <summary>The end of the last complete frame or page, in seconds from the track's first RTP timestamp.</summary>
    public required double EndSeconds { get; init; }
    public required long ReadableBytes { get; init; }
    public bool Torn { get; init; }
    public int Width { get; init; }
    public int Height { get; init; }
    /// <summary>Video: where its frames pause, in seconds from the track's first RTP timestamp (<see cref="IvfFile.Gaps"/>).</summary>
    public IReadOnlyList<(double StartSeconds, double EndSeconds)> Gaps { get; init; } = [];

    public static TrackMedia Inspect(TrackKind kind, string path)
    {
        if (kind == TrackKind.Video)
        {
            var ivf = IvfFile.Inspect(path);
            if (ivf.FourCc != "VP80") throw new InvalidDataException($"IVF holds {ivf.FourCc}, not VP8");
            return new() { EndSeconds = ivf.EndSeconds, ReadableBytes = ivf.ReadableBytes, Torn = ivf.Torn, Width = ivf.Width, Height = ivf.Height, Gaps = ivf.Gaps };
        }
        var ogg = OggOpusFile.Inspect(path);
        return new() { EndSeconds = ogg.EndSeconds, ReadableBytes = ogg.ReadableBytes, Torn = ogg.Torn };
    }
}

/// <summary>
/// Turns a capture directory (timeline.jsonl and one file per track, see <see cref="TimelineEvent"/>) into a
/// <see cref="CaptureModel"/>: participants with their presence in join order, and each track placed on the
/// recording's timeline (<see cref="TrackPlacement"/>) with the end of what its file holds. A capture without an
/// <c>end</c> event (the node died) ends with its last media; presences still open are closed there. No track reaches
/// past the call's wall-clock end, whatever its timestamps say (a sender chooses them).
/// </summary>
public static class CaptureReader
{
    /// <summary>A capture cut by a crash: media may reach this far past its last timeline line (both are flushed every second).</summary>
    public const long CrashAllowanceMs = 2000;

    public static CaptureModel Read(string directory) =>
        Build(TimelineEvent.Read(directory), directory, TrackMedia.Inspect);

    /// <param name="inspect">Reads a track's file (kind, full path); throws when the file cannot be used.</param>
    public static CaptureModel Build(IReadOnlyList<TimelineEvent> events, string directory, Func<TrackKind, string, TrackMedia> inspect)
    {
        var warnings = new List<string>();
        var participants = new Dictionary<string, ParticipantBuilder>();
        var trackEvents = new List<(TimelineEvent Event, int Index)>();
        var reportsBySsrc = new Dictionary<uint, List<(TimelineEvent Event, int Index)>>();
        var syncsBySsrc = new Dictionary<uint, List<(TimelineEvent Event, int Index)>>();
        long? endAt = null;
        long lastEventAt = long.MinValue;

        ParticipantBuilder Participant(string id)
        {
            if (!participants.TryGetValue(id, out var p))
                participants[id] = p = new ParticipantBuilder(id, participants.Count);
            return p;
        }

        for (int i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (e is null) continue; // a line reading "null"
            lastEventAt = Math.Max(lastEventAt, e.At);
            switch (e.Type)
            {
                case "join" when e.Participant is { } id:
                    var joined = Participant(id);
                    if (e.Name is { Length: > 0 } name) joined.Name = name;
                    if (e.Role is { } role) joined.Role = role;
                    joined.Open(e.At);
                    break;
                case "leave" when e.Participant is { } id && participants.TryGetValue(id, out var left):
                    left.Close(e.At);
                    break;
                case "mute" when e.Participant is { } id && e.Kind == "video" && participants.TryGetValue(id, out var muted):
                    if (e.Muted == true) muted.MuteStart ??= e.At;
                    else if (muted.MuteStart is { } since) { muted.Mutes.Add((since, e.At)); muted.MuteStart = null; }
                    break;
                case "track":
                    if (e.Participant is null || e.File is null || e.Ssrc is null || e.Kind is not ("audio" or "video"))
                    {
                        warnings.Add($"track event at {e.At} without participant, file, ssrc or kind: skipped");
                        break;
                    }
                    var owner = Participant(e.Participant);
                    if (owner.Presence.Count == 0 && owner.OpenSince is null) owner.Open(e.At);
                    trackEvents.Add((e, i));
                    break;
                case "sr" when e.Ssrc is { } ssrc && e.Rtp is not null && e.NtpMs is not null:
                    if (!reportsBySsrc.TryGetValue(ssrc, out var list)) reportsBySsrc[ssrc] = list = [];
                    list.Add((e, i));
                    break;
                case "sync" when e.Ssrc is { } ssrc && e.Rtp is not null && e.At > 0:
                    if (!syncsBySsrc.TryGetValue(ssrc, out var samples)) syncsBySsrc[ssrc] = samples = [];
                    samples.Add((e, i));
                    break;
                case "end":
                    endAt = e.At;
                    break;
            }
        }

        var joins = participants.Values.SelectMany(p => p.Presence.Select(r => r.Start).Concat(p.OpenSince is { } s ? [s] : [])).ToList();
        if (joins.Count == 0) throw new InvalidDataException("the capture has no participant");
        long origin = joins.Min();

        // Each SR or sync sample belongs to the latest track of its SSRC written before it (an SSRC can come back after a rejoin).
        List<TimelineEvent> ReportsOf((TimelineEvent Event, int Index) track) => Of(reportsBySsrc, track);
        List<TimelineEvent> SyncsOf((TimelineEvent Event, int Index) track) => Of(syncsBySsrc, track);
        List<TimelineEvent> Of(Dictionary<uint, List<(TimelineEvent Event, int Index)>> bySsrc, (TimelineEvent Event, int Index) track)
        {
            if (!bySsrc.TryGetValue(track.Event.Ssrc!.Value, out var reports)) return [];
            var sameSsrc = trackEvents.Where(t => t.Event.Ssrc == track.Event.Ssrc).Select(t => t.Index).ToList();
            int next = sameSsrc.Where(ix => ix > track.Index).DefaultIfEmpty(int.MaxValue).Min();
            bool first = sameSsrc.Min() == track.Index;
            return reports.Where(r => r.Index < next && (r.Index > track.Index || first)).Select(r => r.Event).ToList();
        }

        var offsets = trackEvents
            .GroupBy(t => t.Event.Participant!)
            .ToDictionary(g => g.Key, g => TrackPlacement.SenderClockOffset(g.Select(t => new TrackClock(t.Event, ReportsOf(t), SyncsOf(t)))));

        // Every track ends within the call's wall-clock length, whatever its timestamps claim: the end event, or for a
        // crash the last timeline line (sync samples come every second while media flows) and the second after it.
        long wallClockEndMs = (endAt ?? lastEventAt + CrashAllowanceMs) - origin;

        string root = Path.GetFullPath(directory);
        var tracks = new List<CapturedTrack>();
        foreach (var t in trackEvents)
        {
            var e = t.Event;
            var kind = e.Kind == "video" ? TrackKind.Video : TrackKind.Audio;
            string path = Path.GetFullPath(Path.Combine(root, e.File!));
            if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                warnings.Add($"{e.File}: outside the capture directory, skipped");
                continue;
            }
            TrackMedia media;
            try { media = inspect(kind, path); }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                warnings.Add($"{e.File}: {ex.Message}, skipped");
                continue;
            }
            if (media.EndSeconds <= 0)
            {
                warnings.Add($"{e.File}: no complete frame, skipped");
                continue;
            }
            if (media.Torn) warnings.Add($"{e.File}: torn after byte {media.ReadableBytes}, composed up to there");
            var clock = new TrackClock(e, ReportsOf(t), SyncsOf(t));
            var (start, source) = TrackPlacement.Place(clock, offsets[e.Participant!]);
            double scale = source == TrackPlacementSource.SenderReport ? TrackPlacement.ClockScale(clock) : 1.0;
            long startMs = (long)Math.Round(start - origin);
            long endMs = startMs + (long)Math.Round(Math.Min(media.EndSeconds * 1000 * scale, long.MaxValue / 4.0));
            if (endMs > wallClockEndMs)
            {
                warnings.Add($"{e.File}: its timestamps run {endMs - wallClockEndMs} ms past the call, cut at its end");
                endMs = wallClockEndMs;
            }
            if (endMs <= startMs)
            {
                warnings.Add($"{e.File}: starts after the call ended, skipped");
                continue;
            }
            tracks.Add(new CapturedTrack
            {
                ParticipantId = e.Participant!, Kind = kind, FilePath = path, Ssrc = e.Ssrc!.Value,
                StartMs = startMs, EndMs = endMs,
                PlacedBy = source, ClockScale = scale, ReadableBytes = media.ReadableBytes, Torn = media.Torn,
                Width = media.Width, Height = media.Height,
                Gaps = [.. media.Gaps.Select(g => new TimeRange(startMs + (long)Math.Round(g.StartSeconds * 1000 * scale), startMs + (long)Math.Round(g.EndSeconds * 1000 * scale)))],
            });
        }

        // The end: the last leave when everyone left; otherwise the end event, or for a crash the last media.
        long lastLeave = participants.Values.SelectMany(p => p.Presence).Select(r => r.End - origin).DefaultIfEmpty(0).Max();
        long duration;
        if (participants.Values.All(p => p.OpenSince is null)) duration = lastLeave;
        else if (endAt is { } end) duration = Math.Max(lastLeave, end - origin);
        else if (tracks.Count > 0) duration = Math.Max(lastLeave, tracks.Max(t => t.EndMs));
        else duration = Math.Max(lastLeave, lastEventAt - origin);
        duration = Math.Max(0, duration);
        // And within the recording itself: what the composer mixes and Whisper decodes ends with it.
        tracks = tracks.Select(t => t.EndMs > duration ? t with { EndMs = duration } : t).Where(t => t.EndMs > t.StartMs).ToList();

        var model = participants.Values
            .OrderBy(p => p.FirstJoin)
            .ThenBy(p => p.Order)
            .Select((p, order) => new CapturedParticipant
            {
                Id = p.Id, Name = p.Name ?? p.Id, Role = p.Role, JoinOrder = order,
                Presence = Ranges(p.Presence, p.OpenSince, origin, duration),
                VideoMuted = Ranges(p.Mutes, p.MuteStart, origin, duration),
                Tracks = tracks.Where(t => t.ParticipantId == p.Id).OrderBy(t => t.StartMs).ToList(),
            })
            .ToList();
        return new CaptureModel
        {
            OriginUnixMs = origin, DurationMs = duration, EndedNormally = endAt is not null,
            Participants = model, Warnings = warnings,
        };
    }

    private static List<TimeRange> Ranges(List<(long Start, long End)> closed, long? open, long origin, long duration)
    {
        var ranges = closed.Select(r => (r.Start, r.End)).ToList();
        if (open is { } start) ranges.Add((start, origin + duration));
        return ranges
            .Select(r => new TimeRange(r.Start - origin, r.End - origin).Clip(0, duration))
            .Where(r => !r.IsEmpty)
            .OrderBy(r => r.StartMs)
            .ToList();
    }

    private sealed class ParticipantBuilder(string id, int order)
    {
        public string Id { get; } = id;
        public int Order { get; } = order;
        public string? Name { get; set; }
        public string? Role { get; set; }
        public List<(long Start, long End)> Presence { get; } = [];
        public long? OpenSince { get; private set; }
        public List<(long Start, long End)> Mutes { get; } = [];
        public long? MuteStart { get; set; }
        public long FirstJoin => Presence.Select(r => r.Start).Concat(OpenSince is { } s ? [s] : []).DefaultIfEmpty(long.MaxValue).Min();

        public void Open(long at) => OpenSince ??= at;

        public void Close(long at)
        {
            if (OpenSince is not { } since) return;
            Presence.Add((since, Math.Max(since, at)));
            OpenSince = null;
        }
    }
}
