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
    private readonly TenantCaptureBytes? _tenant;
    private bool _closed, _tracksRefused;
    private volatile bool _stopped;
    private long _bytes;

    public string Directory { get; }
    public CaptureLimits Limits { get; }
    internal CaptureWriter Writer { get; }
    internal MediaCounters Counters { get; }
    /// <summary>Media dropped because the disk fell behind.</summary>
    public long DroppedWrites => Writer.Dropped;
    /// <summary>Bytes of media captured so far, every track together.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);
    /// <summary>The capture stopped writing media (a quota or the disk watermark); the call goes on.</summary>
    public bool Stopped => _stopped;

    /// <param name="tenant">The tenant's bytes on this node, for <see cref="CaptureLimits.MaxTenantBytes"/>; null: no tenant quota.</param>
    public CallCapture(string directory, MediaCounters? counters = null, CaptureLimits? limits = null, TenantCaptureBytes? tenant = null)
    {
        Directory = directory;
        Limits = limits ?? new CaptureLimits();
        Counters = counters ?? new MediaCounters();
        _tenant = tenant;
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

    /// <summary>A recorder for <paramref name="track"/>; null once the capture stopped or holds <see cref="CaptureLimits.MaxTracksPerCall"/> tracks.</summary>
    internal TrackRecorder? Record(PublishedTrack track)
    {
        var name = $"{Sanitize(track.Publisher.ParticipantId)}-{track.Kind}-{track.Ssrc:x8}";
        lock (_gate)
        {
            if (_closed || _stopped) return null;
            if (_tracks.Count >= Limits.MaxTracksPerCall)
            {
                if (!_tracksRefused) Write(new TimelineEvent { Type = "track_stopped", Participant = track.Publisher.ParticipantId, Kind = track.Kind, Ssrc = track.Ssrc, Reason = "tracks" });
                _tracksRefused = true;
                return null;
            }
            var recorder = new TrackRecorder(this, track, name, Limits);
            _tracks.Add(recorder);
            return recorder;
        }
    }

    /// <summary>Counts <paramref name="bytes"/> of media against the call's and the tenant's quotas; false (and the capture stops) beyond them.</summary>
    internal bool Charge(int bytes)
    {
        if (_stopped) return false;
        if (Interlocked.Add(ref _bytes, bytes) > Limits.MaxCallBytes)
        {
            Interlocked.Add(ref _bytes, -bytes);
            Stop("call_quota");
            return false;
        }
        if (_tenant is not null && _tenant.Add(bytes) > Limits.MaxTenantBytes)
        {
            _tenant.Add(-bytes);
            Interlocked.Add(ref _bytes, -bytes);
            Stop("tenant_quota");
            return false;
        }
        return true;
    }

    /// <summary>
    /// No more media is written (each recorder closes its file on its next packet); the timeline goes on, so the
    /// recording still spans the call and says why its media ends there.
    /// </summary>
    public void Stop(string reason)
    {
        lock (_gate)
        {
            if (_stopped || _closed) return;
            _stopped = true;
        }
        Interlocked.Increment(ref Counters.CapturesStopped);
        Write(new TimelineEvent { Type = "capture_stopped", Reason = reason });
    }

    /// <summary>Pushes buffered media and timeline lines to the file system (called once a second); stops the capture below the free-disk watermark.</summary>
    public void Flush()
    {
        TrackRecorder[] tracks;
        lock (_gate)
        {
            if (_closed) return;
            tracks = [.. _tracks];
        }
        if (!_stopped && FreeDiskBytes() is { } free && free < Limits.MinFreeDiskBytes) Stop("disk_low");
        foreach (var track in tracks) track.Sample();
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
        // The tenant's quota counts open captures: this one's bytes are its own from now on.
        _tenant?.Add(-Interlocked.Exchange(ref _bytes, 0));
    }

    private long? FreeDiskBytes()
    {
        try { return new DriveInfo(Directory).AvailableFreeSpace; }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { return null; }
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
