namespace Voki.Media.Recording;

/// <summary>A participant's tile in a scene: their video (letterboxed into <see cref="Picture"/>) or, without one, their name.</summary>
public sealed record SceneTile(string ParticipantId, string Name, int ColorIndex, Rect Area, CapturedTrack? Video, Rect Picture);

/// <summary>Frames [StartFrame, EndFrame) of the output during which the tiles and what each shows do not change.</summary>
public sealed record Scene(long StartFrame, long EndFrame, IReadOnlyList<SceneTile> Tiles)
{
    public long FrameCount => EndFrame - StartFrame;
}

/// <summary>
/// What the composite shows, frame by frame: the layout segments (<see cref="LayoutEngine.Plan"/>) cut further
/// wherever a tile switches between video and name (a track starts or ends, a camera is muted), all on the output's
/// frame grid so that scenes follow each other without drift. A participant with several video tracks at once shows
/// the latest one. Every audio track that overlaps the recording is mixed. FFmpeg's inputs are capped: beyond the
/// limits the longest tracks within the recording are kept (a participant who republishes over and over adds tracks).
/// </summary>
public sealed record CompositionPlan
{
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required int FrameRate { get; init; }
    public required long FrameCount { get; init; }
    public required long DurationMs { get; init; }
    public required IReadOnlyList<Scene> Scenes { get; init; }
    public required IReadOnlyList<CapturedTrack> AudioTracks { get; init; }

    /// <summary>The frame was sized to the cameras (<see cref="LayoutEngine.Frame"/>), not the options' grid frame.</summary>
    public bool SizedToCameras { get; init; }

    /// <summary>The video tracks shown in at least one scene, in order of first use.</summary>
    public IReadOnlyList<CapturedTrack> VideoTracks =>
        Scenes.SelectMany(s => s.Tiles).Select(t => t.Video).OfType<CapturedTrack>().Distinct().ToList();

    /// <summary>
    /// The plan <see cref="CallComposer"/> composes: at most two tiles at once (and <see cref="CompositionOptions.FrameToCameras"/>)
    /// give a frame sized to the cameras shown, within the options' frame; more keep the options' frame.
    /// </summary>
    public static CompositionPlan Build(CaptureModel capture, CompositionOptions options)
    {
        var (width, height) = (options.Width, options.Height);
        bool sized = false;
        if (options.FrameToCameras)
        {
            int most = LayoutEngine.Plan(capture.Participants, capture.DurationMs, width, height).Select(s => s.Tiles.Count).DefaultIfEmpty(0).Max();
            var cameras = Longest(capture, TrackKind.Video, options.MaxVideoInputs).Select(t => (t.Width, t.Height)).Where(c => c.Width > 0 && c.Height > 0).ToList();
            sized = most <= 2 && cameras.Count > 0;
            (width, height) = LayoutEngine.Frame(most, cameras, width, height);
        }
        return Build(capture, width, height, options.FrameRate, options.MaxVideoInputs, options.MaxAudioInputs) with { SizedToCameras = sized };
    }

    /// <param name="maxVideoInputs">Video tracks the plan may show; beyond, the longest within the recording are kept.</param>
    /// <param name="maxAudioInputs">Audio tracks it may mix; beyond, likewise.</param>
    public static CompositionPlan Build(CaptureModel capture, int width, int height, int frameRate, int maxVideoInputs = 24, int maxAudioInputs = 24)
    {
        long Frame(long ms) => (long)Math.Round(ms * (double)frameRate / 1000.0, MidpointRounding.AwayFromZero);
        long frames = Frame(capture.DurationMs);
        var shown = Longest(capture, TrackKind.Video, maxVideoInputs);
        var mixed = Longest(capture, TrackKind.Audio, maxAudioInputs);
        var byId = capture.Participants.ToDictionary(p => p.Id);
        var scenes = new List<Scene>();

        foreach (var segment in LayoutEngine.Plan(capture.Participants, capture.DurationMs, width, height))
        {
            long first = Frame(segment.StartMs), last = Math.Min(frames, Frame(segment.EndMs));
            if (last <= first) continue;
            var people = segment.Tiles.Select(t => byId[t.ParticipantId]).ToList();
            var cuts = people
                .SelectMany(p => p.Tracks.Where(shown.Contains).SelectMany(t => t.Gaps.Prepend(t.Range)).Concat(p.VideoMuted))
                .SelectMany(r => new[] { Frame(r.StartMs), Frame(r.EndMs) })
                .Where(f => f > first && f < last)
                .Append(first).Append(last)
                .Distinct().Order().ToList();
            for (int i = 0; i + 1 < cuts.Count; i++)
            {
                long at = cuts[i];
                var tiles = segment.Tiles.Select(tile =>
                {
                    var p = byId[tile.ParticipantId];
                    bool muted = p.VideoMuted.Any(m => Frame(m.StartMs) <= at && at < Frame(m.EndMs));
                    // Of the tracks there (segments, simulcast layers): one with pictures now, the sharpest, the latest.
                    var video = muted ? null : p.Tracks
                        .Where(t => shown.Contains(t) && Frame(t.StartMs) <= at && at < Frame(t.EndMs))
                        .OrderBy(t => t.Gaps.Any(g => Frame(g.StartMs) <= at && at < Frame(g.EndMs)))
                        .ThenByDescending(t => (long)t.Width * t.Height)
                        .ThenByDescending(t => t.StartMs)
                        .FirstOrDefault();
                    var picture = video is null ? tile.Area : LayoutEngine.Fit(video.Width, video.Height, tile.Area);
                    return new SceneTile(p.Id, p.Name, p.JoinOrder, tile.Area, video, picture);
                }).ToList();
                if (scenes.Count > 0 && scenes[^1].EndFrame == at && scenes[^1].Tiles.SequenceEqual(tiles))
                    scenes[^1] = scenes[^1] with { EndFrame = cuts[i + 1] };
                else
                    scenes.Add(new Scene(at, cuts[i + 1], tiles));
            }
        }

        return new CompositionPlan
        {
            Width = width, Height = height, FrameRate = frameRate, FrameCount = frames, DurationMs = capture.DurationMs,
            Scenes = scenes,
            AudioTracks = capture.Tracks.Where(mixed.Contains).ToList(),
        };
    }

    /// <summary>The tracks of a kind within the recording, at most <paramref name="max"/>: the longest there.</summary>
    private static HashSet<CapturedTrack> Longest(CaptureModel capture, TrackKind kind, int max)
    {
        long Within(CapturedTrack t) => t.Range.Clip(0, capture.DurationMs) is var r && !r.IsEmpty ? r.LengthMs : 0;
        return capture.Tracks.Where(t => t.Kind == kind && Within(t) > 0).OrderByDescending(Within).ThenBy(t => t.StartMs).Take(max).ToHashSet();
    }
}
