using Voki.Media.Recording;

namespace Voki.Transcription;

/// <summary>One participant's captured audio file, placed on the recording's timeline.</summary>
/// <param name="Offset">Seconds from the recording's first instant to the track's first sample (negative: it began before).</param>
/// <param name="Duration">Seconds of audio in the file, gaps included.</param>
public sealed record AudioTrack(string ParticipantId, string Role, string Name, string File, double Offset, double Duration);

/// <summary>
/// The audio of a capture directory, placed exactly as the composer places it (<see cref="CaptureReader"/>: the
/// recording starts at the first join, a track starts where its RTCP sender reports or its first packet put it), so
/// transcript times are times in the recorded WebM. Each track comes with its speaker from the participant's joins.
/// </summary>
public static class CaptureAudio
{
    public static readonly IReadOnlySet<string> Speakers = new HashSet<string>(StringComparer.Ordinal) { "attendant", "customer", "supervisor" };

    public static (IReadOnlyList<AudioTrack> Tracks, double RecordingSeconds) Read(string directory)
    {
        if (!System.IO.File.Exists(Path.Combine(directory, TimelineEvent.FileName)))
            throw new FileNotFoundException($"the capture has no {TimelineEvent.FileName}");
        var capture = CaptureReader.Read(directory);
        var tracks = capture.Participants
            .SelectMany(p => p.Tracks.Where(t => t.Kind == TrackKind.Audio).Select(t => new AudioTrack(
                p.Id,
                SpeakerOf(p.Id, p.Role),
                p.Name == p.Id ? "" : p.Name, // no name was given: the speaker's role stands in
                t.FilePath,
                t.StartMs / 1000.0,
                (t.EndMs - t.StartMs) / 1000.0)))
            .OrderBy(t => t.Offset)
            .ToList();
        return (tracks, capture.DurationMs / 1000.0);
    }

    /// <summary>attendant, customer or supervisor: the joined role, else what the participant id tells ("customer" is the customer's).</summary>
    public static string SpeakerOf(string participantId, string? role) =>
        role is not null && Speakers.Contains(role) ? role : participantId == "customer" ? "customer" : "supervisor";
}
