using System.Text.Json;
using Voki.Media.Sfu;

namespace Voki.Media.Recording;

/// <summary>
/// A call's capture directory while the call runs: timeline.jsonl plus one file per published track,
/// written as packets arrive (no transcoding) and flushed every second by the node's timer, so a
/// crash loses at most about a second (format: <see cref="TimelineEvent"/>).
/// </summary>
public sealed class CallCapture : IDisposable
{
    private readonly StreamWriter _timeline;
    private readonly List<TrackRecorder> _tracks = [];
    private readonly object _gate = new();
    private bool _closed;

    public string Directory { get; }

    public CallCapture(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        _timeline = new StreamWriter(new FileStream(Path.Combine(directory, TimelineEvent.FileName), FileMode.Append, FileAccess.Write, FileShare.Read));
        Write(new TimelineEvent { Type = "call" });
    }

    /// <summary>Appends one timeline event, stamped now unless it carries its own time.</summary>
    public void Write(TimelineEvent e)
    {
        lock (_gate)
        {
            if (_closed) return;
            _timeline.WriteLine(JsonSerializer.Serialize(e.At == 0 ? e with { At = TimelineEvent.Now() } : e, TimelineEvent.Json));
        }
    }

    internal TrackRecorder Record(PublishedTrack track)
    {
        var extension = track.Kind == "video" ? "ivf" : "ogg";
        var file = $"{Sanitize(track.Publisher.ParticipantId)}-{track.Kind}-{track.Ssrc:x8}.{extension}";
        var recorder = new TrackRecorder(this, track, Path.Combine(Directory, file), file);
        lock (_gate) _tracks.Add(recorder);
        return recorder;
    }

    /// <summary>Pushes buffered media and timeline lines to the file system (called once a second).</summary>
    public void Flush()
    {
        TrackRecorder[] tracks;
        lock (_gate)
        {
            if (_closed) return;
            _timeline.Flush();
            tracks = [.. _tracks];
        }
        foreach (var track in tracks) track.Flush();
    }

    public void Dispose()
    {
        Write(new TimelineEvent { Type = "end" });
        TrackRecorder[] tracks;
        lock (_gate)
        {
            if (_closed) return;
            _closed = true;
            tracks = [.. _tracks];
            _timeline.Dispose();
        }
        foreach (var track in tracks) track.Dispose();
    }

    private static string Sanitize(string id) => new(id.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_').ToArray());
}
