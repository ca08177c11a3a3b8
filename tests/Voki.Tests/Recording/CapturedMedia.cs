using Voki.Media.Recording;

namespace Voki.Tests.Recording;

/// <summary>How far a live capture has got: what its files hold on disk right now.</summary>
public static class CapturedMedia
{
    /// <summary>Seconds of media the capture holds of the participant: the shorter of its audio and video files so far.</summary>
    public static double Seconds(string capture, string participant)
    {
        if (!Directory.Exists(capture)) return 0;
        var tracks = TimelineEvent.Read(capture).Where(e => e.Type == "track" && e.Participant == participant).ToList();
        if (!tracks.Any(e => e.Kind == "audio") || !tracks.Any(e => e.Kind == "video")) return 0;
        return tracks.Min(e => TrackMedia.Inspect(e.Kind == "video" ? TrackKind.Video : TrackKind.Audio, Path.Combine(capture, e.File!)).EndSeconds);
    }
}
