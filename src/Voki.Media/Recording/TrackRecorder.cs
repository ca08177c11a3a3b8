using Voki.Media.Rtp;
using Voki.Media.Sfu;

namespace Voki.Media.Recording;

/// <summary>
/// One published track written to its file as it arrives: VP8 frames into IVF, Opus packets into Ogg. Packets come
/// in sequence order from the track's receive buffer; frames and packets go to the capture's writer task, which
/// does the file I/O (and opens each file on its first write, so a track that never sends costs no file).
/// What a sender controls is bounded (<see cref="CaptureLimits"/>): its bytes and bitrate stop the track's capture at
/// their ceilings, and an RTP timestamp that jumps away from the time between arrivals (RFC 3550 §5.1 lets a sender
/// pick any) starts a new segment, a file of its own placed by its arrival, rather than a gap of the jump's length.
/// </summary>
public sealed class TrackRecorder : IDisposable
{
    private readonly CallCapture _capture;
    private readonly PublishedTrack _track;
    private readonly CaptureLimits _limits;
    private readonly string _name, _extension;
    private readonly Vp8FrameAssembler? _assembler;
    private readonly ByteBudget _bitrate;
    private readonly object _gate = new();
    private ArrivalSampler _arrivals;
    private Segment? _segment;
    private int _segments;
    private bool _closed;
    private uint _lastTimestamp;
    private long _lastAt, _extended, _lastAudioPosition = -1, _bytes;

    internal TrackRecorder(CallCapture capture, PublishedTrack track, string name, CaptureLimits limits)
    {
        _capture = capture;
        _track = track;
        _limits = limits;
        _name = name;
        _extension = track.Kind == "video" ? "ivf" : "ogg";
        _arrivals = new ArrivalSampler(track.ClockRate);
        _bitrate = new ByteBudget(track.Kind == "video" ? limits.MaxVideoBitrate : limits.MaxAudioBitrate, limits.BitrateBurst);
        if (track.Kind == "video") _assembler = new Vp8FrameAssembler();
    }

    /// <summary>Bytes of media this track handed to the writer, every segment together.</summary>
    public long Bytes { get { lock (_gate) return _bytes; } }

    /// <summary>The files this track was written to so far (one per segment).</summary>
    public int Segments { get { lock (_gate) return _segments; } }

    /// <summary>Records one decrypted RTP packet; true when the recorder needs a keyframe to continue.</summary>
    internal bool Write(ReadOnlySpan<byte> rtp)
    {
        lock (_gate)
        {
            if (_closed) return false;
            if (_capture.Stopped) { Close(); return false; }
            // The skew and the bitrate are measured on the monotonic clock: a wall clock set back or forward is no jump.
            var now = Environment.TickCount64;
            if (_assembler is not null)
            {
                if (!_assembler.Push(rtp, out var frame, out var timestamp, out var wantsKeyframe)) return wantsKeyframe;
                var keyframe = (frame[0] & 0x01) == 0; // VP8 frame tag, RFC 6386 §9.1
                if (Position(timestamp, now, canStartSegment: keyframe) is not { } framePosition)
                {
                    // A discontinuity on a delta frame: the new segment must begin with a keyframe.
                    _assembler.RequireKeyframe();
                    return true;
                }
                if (Admit(frame.Length, now)) _capture.Writer.TryWrite(_segment!, frame, framePosition, droppable: true);
                return false;
            }
            var headerLength = RtpHeader.Length(rtp);
            if (headerLength < 0 || headerLength >= rtp.Length) return false;
            if (Position(RtpHeader.Timestamp(rtp), now, canStartSegment: true) is not { } position) return false;
            // Granule positions must never go backwards (RFC 7845 §4): a packet stamped before the last is left out.
            if (position <= _lastAudioPosition) return false;
            _lastAudioPosition = position;
            var payload = rtp[headerLength..];
            if (Admit(payload.Length, now)) _capture.Writer.TryWrite(_segment!, payload, position, droppable: true);
            return false;
        }
    }

    /// <summary>
    /// A packet reached the node (called at arrival, before the receive buffer may hold it back), so the sync samples
    /// measure the network and not our waiting for retransmissions.
    /// </summary>
    internal void Arrived(uint rtpTimestamp, long arrivalUnixMs)
    {
        lock (_gate) { if (!_closed) _arrivals.Offer(rtpTimestamp, arrivalUnixMs); }
    }

    /// <summary>Writes the last second's least-delayed arrival as a sync sample (called once a second, before the files are flushed).</summary>
    internal void Sample()
    {
        lock (_gate)
        {
            if (_closed || _segment is null || _arrivals.TakeWindow() is not var (rtp, at)) return;
            _capture.Write(new TimelineEvent { Type = "sync", At = at, Participant = _track.Publisher.ParticipantId, Kind = _track.Kind, Ssrc = _track.Ssrc, Rtp = rtp });
        }
    }

    internal void SenderReport(ulong ntp, uint rtpTimestamp)
    {
        lock (_gate)
        {
            if (_closed) return;
            _capture.Write(new TimelineEvent { Type = "sr", Participant = _track.Publisher.ParticipantId, Kind = _track.Kind, Ssrc = _track.Ssrc, Rtp = rtpTimestamp, NtpMs = NtpToUnixMs(ntp) });
        }
    }

    /// <summary>
    /// Ticks of the track's clock since its segment's first packet, across 32-bit wrap-around; a new segment when the
    /// timestamp left the arrival clock by more than the allowed skew. Null when that packet cannot start one (a
    /// delta frame) or the track may have no more segments.
    /// </summary>
    private long? Position(uint timestamp, long now, bool canStartSegment)
    {
        if (_segment is not null)
        {
            var delta = (long)(int)(timestamp - _lastTimestamp);
            var expected = (now - _lastAt) * _track.ClockRate / 1000;
            if (Math.Abs(delta - expected) <= (long)(_limits.MaxTimestampSkew.TotalSeconds * _track.ClockRate))
            {
                _extended += delta;
                (_lastTimestamp, _lastAt) = (timestamp, now);
                return _extended;
            }
            if (!canStartSegment) return null;
            Interlocked.Increment(ref _capture.Counters.TimestampDiscontinuities);
        }
        else if (!canStartSegment) return null;
        if (_segments >= _limits.MaxSegmentsPerTrack) { Stop("segments"); return null; }
        StartSegment(timestamp, now);
        return 0;
    }

    private void StartSegment(uint timestamp, long now)
    {
        // Placed by its arrival: the track event's time, on the capture's wall clock.
        if (_segment is not null) _capture.Writer.Close(_segment);
        var file = _segments == 0 ? $"{_name}.{_extension}" : $"{_name}-{_segments}.{_extension}";
        _segments++;
        _segment = new Segment(Path.Combine(_capture.Directory, file), _track.Kind == "video");
        (_lastTimestamp, _lastAt, _extended, _lastAudioPosition) = (timestamp, now, 0, -1);
        // Sync samples of the old clock would misplace the new segment.
        _arrivals = new ArrivalSampler(_track.ClockRate);
        _capture.Write(new TimelineEvent
        {
            Type = "track", Participant = _track.Publisher.ParticipantId, Kind = _track.Kind, File = file,
            Ssrc = _track.Ssrc, ClockRate = _track.ClockRate, FirstRtp = timestamp,
        });
    }

    /// <summary>Whether <paramref name="bytes"/> more stay within the track's ceilings and the call's quotas.</summary>
    private bool Admit(int bytes, long now)
    {
        if (_bytes + bytes > _limits.MaxTrackBytes) { Stop("track_bytes"); return false; }
        if (!_bitrate.TrySpend(bytes, now)) { Stop("bitrate"); return false; }
        if (!_capture.Charge(bytes)) { Close(); return false; }
        _bytes += bytes;
        return true;
    }

    /// <summary>The track's capture ends at a ceiling: its file is closed, the timeline says why.</summary>
    private void Stop(string reason)
    {
        Close();
        Interlocked.Increment(ref _capture.Counters.TrackCapturesStopped);
        _capture.Write(new TimelineEvent { Type = "track_stopped", Participant = _track.Publisher.ParticipantId, Kind = _track.Kind, Ssrc = _track.Ssrc, Reason = reason });
    }

    private void Close()
    {
        if (_closed) return;
        _closed = true;
        if (_segment is not null) _capture.Writer.Close(_segment);
    }

    /// <summary>Stops recording; the file is closed by the writer task after what is already queued.</summary>
    public void Dispose()
    {
        lock (_gate) Close();
    }

    private static long NtpToUnixMs(ulong ntp)
    {
        const long UnixEpochInNtpSeconds = 2_208_988_800;
        var seconds = (long)(ntp >> 32) - UnixEpochInNtpSeconds;
        var fraction = (ntp & 0xFFFF_FFFF) * 1000 / 0x1_0000_0000;
        return seconds * 1000 + (long)fraction;
    }

    /// <summary>One file of the track, opened by the writer task on its first write.</summary>
    private sealed class Segment(string path, bool video) : ICaptureSink
    {
        private IvfWriter? _video;
        private OggOpusWriter? _audio;

        public void Write(ReadOnlySpan<byte> data, long position)
        {
            if (video) (_video ??= new IvfWriter(path)).WriteFrame(data, position);
            else (_audio ??= new OggOpusWriter(path)).WritePacket(data, position);
        }

        public void Flush()
        {
            _video?.Flush();
            _audio?.Flush();
        }

        public void Close()
        {
            _video?.Dispose();
            _audio?.Dispose();
        }
    }
}
