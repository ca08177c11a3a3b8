using System.Text;
using System.Text.Json;
using Voki.Media.Sfu;

namespace Voki.Media.Recording;

/// <summary>
/// A call's capture directory while the call runs: timeline.jsonl plus one file per published track, written as
/// packets arrive (no transcoding) by the capture's <see cref="CaptureWriter"/> task, never by the media threads,
/// and flushed every second by the node's timer, so a crash loses at most about a second (format: <see cref="TimelineEvent"/>).
/// </summary>
public sealed class CallCapture : IDisposable
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);
    private readonly TimelineSink _timeline;
    private readonly List<TrackRecorder> _tracks = [];
    private readonly object _gate = new();
    private bool _closed;

    public string Directory { get; }
    internal CaptureWriter Writer { get; }
    /// <summary>Media dropped because the disk fell behind.</summary>
    public long DroppedWrites => Writer.Dropped;

    public CallCapture(string directory, MediaCounters? counters = null)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        _timeline = new TimelineSink(Path.Combine(directory, TimelineEvent.FileName));
        Writer = new CaptureWriter(counters);
        Write(new TimelineEvent { Type = "call" });
    }

    /// <summary>Appends one timeline event, stamped now unless it carries its own time.</summary>
    public void Write(TimelineEvent e)
    {
        var line = JsonSerializer.Serialize(e.At == 0 ? e with { At = TimelineEvent.Now() } : e, TimelineEvent.Json) + "\n";
        lock (_gate)
        {
            if (_closed) return;
            Writer.TryWrite(_timeline, Encoding.UTF8.GetBytes(line), 0, droppable: false);
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
        lock (_gate) tracks = _closed ? [] : [.. _tracks];
        foreach (var track in tracks) track.WriteSyncSample();
        lock (_gate) { if (!_closed) Writer.Flush(); }
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
        }
        foreach (var track in tracks) track.Dispose();
        Writer.Close(_timeline);
        Writer.Complete(DrainTimeout);
    }

    private static string Sanitize(string id) => new(id.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_').ToArray());

    /// <summary>timeline.jsonl: one JSON line per event.</summary>
    private sealed class TimelineSink(string path) : ICaptureSink
    {
        private readonly FileStream _file = new(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 12);

        public void Write(ReadOnlySpan<byte> data, long position) => _file.Write(data);
        public void Flush() => _file.Flush();
        public void Close() => _file.Dispose();
    }
}
