using Voki.Media.Recording;

namespace Voki.Transcription;

/// <summary>One participant's captured audio file, placed on the call's timeline.</summary>
/// <param name="Offset">Seconds from the capture's start (its <c>call</c> event) to the track's first sample.</param>
/// <param name="Duration">Seconds of audio in the file, gaps included, from its last Ogg granule.</param>
public sealed record AudioTrack(string ParticipantId, string Role, string Name, string File, double Offset, double Duration);

/// <summary>
/// Reads what a capture directory says about its audio (<see cref="TimelineEvent"/>): every <c>track</c> event of kind
/// audio, with the speaker from the participant's <c>join</c> events. The timeline's zero is the capture's start,
/// the <c>call</c> event (or the earliest event when a crash lost it): the recording's zero as well.
/// </summary>
public static class CaptureAudio
{
    public static readonly IReadOnlySet<string> Speakers = new HashSet<string>(StringComparer.Ordinal) { "attendant", "customer", "supervisor" };

    public static IReadOnlyList<AudioTrack> Read(string directory)
    {
        if (!System.IO.File.Exists(Path.Combine(directory, TimelineEvent.FileName)))
            throw new FileNotFoundException($"the capture has no {TimelineEvent.FileName}");
        var events = TimelineEvent.Read(directory);
        if (events.Count == 0) return [];
        var origin = events.FirstOrDefault(e => e.Type == "call")?.At ?? events.Min(e => e.At);

        var people = new Dictionary<string, (string Role, string Name)>(StringComparer.Ordinal);
        foreach (var join in events.Where(e => e.Type == "join" && e.Participant is not null))
        {
            var known = people.GetValueOrDefault(join.Participant!);
            people[join.Participant!] = (
                string.IsNullOrWhiteSpace(join.Role) ? known.Role : join.Role!,
                string.IsNullOrWhiteSpace(join.Name) ? known.Name : join.Name!);
        }

        var tracks = new List<AudioTrack>();
        foreach (var track in events.Where(e => e is { Type: "track", Kind: "audio", File.Length: > 0, Participant: not null }))
        {
            // The timeline names files inside the capture directory; anything else is ignored.
            var file = Path.Combine(directory, Path.GetFileName(track.File!));
            if (!System.IO.File.Exists(file)) continue;
            var (role, name) = people.GetValueOrDefault(track.Participant!);
            tracks.Add(new AudioTrack(
                track.Participant!,
                SpeakerOf(track.Participant!, role),
                name ?? "",
                file,
                Math.Max(0, (track.At - origin) / 1000.0),
                OggOpusDuration.Seconds(file)));
        }
        return tracks;
    }

    /// <summary>attendant, customer or supervisor: the joined role, else what the participant id tells ("customer" is the customer's).</summary>
    public static string SpeakerOf(string participantId, string? role) =>
        role is not null && Speakers.Contains(role) ? role : participantId == "customer" ? "customer" : "supervisor";
}

/// <summary>The length of an Ogg Opus file from its pages' granule positions (RFC 7845: 48 kHz samples, less the pre-skip).</summary>
public static class OggOpusDuration
{
    public static double Seconds(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        Span<byte> header = stackalloc byte[27];
        Span<byte> lacing = stackalloc byte[255];
        Span<byte> head = stackalloc byte[19];
        long last = -1;
        var preSkip = 0;
        var first = true;
        while (file.Read(header) == header.Length && header[..4].SequenceEqual("OggS"u8))
        {
            int segments = header[26];
            if (file.Read(lacing[..segments]) != segments) break;
            var body = 0;
            foreach (var l in lacing[..segments]) body += l;
            if (file.Position + body > file.Length) break; // a page torn by a crash
            if (first)
            {
                var opusHead = head[..Math.Min(body, head.Length)];
                file.ReadExactly(opusHead);
                if (opusHead.Length >= 12 && opusHead[..8].SequenceEqual("OpusHead"u8)) preSkip = opusHead[10] | opusHead[11] << 8;
                file.Seek(body - opusHead.Length, SeekOrigin.Current);
                first = false;
            }
            else file.Seek(body, SeekOrigin.Current);
            var granule = BitConverter.ToInt64(header[6..14]);
            if (granule > last) last = granule;
        }
        return last <= preSkip ? 0 : (last - preSkip) / 48_000.0;
    }
}
