using Voki.Media.Rtp;
using Voki.Media.Sfu;

namespace Voki.Media.Recording;

/// <summary>
/// One published track written to its file as it arrives: VP8 frames into IVF, Opus packets into Ogg. Packets come
/// in sequence order from the track's receive buffer; frames and packets go to the capture's writer task, which
/// does the file I/O.
/// </summary>
public sealed class TrackRecorder : IDisposable, ICaptureSink
{
    private readonly CallCapture _capture;
    private readonly PublishedTrack _track;
    private readonly string _file;
    private readonly IvfWriter? _video;
    private readonly OggOpusWriter? _audio;
    private readonly Vp8FrameAssembler? _assembler;
    private readonly ArrivalSampler _arrivals;
    private readonly object _gate = new();
    private bool _started, _closed;
    private uint _lastTimestamp;
    private long _extended, _lastAudioPosition = -1;

    internal TrackRecorder(CallCapture capture, PublishedTrack track, string path, string file)
    {
        _capture = capture;
        _track = track;
        _file = file;
        _arrivals = new ArrivalSampler(track.ClockRate);
        if (track.Kind == "video") { _video = new IvfWriter(path); _assembler = new Vp8FrameAssembler(); }
        else _audio = new OggOpusWriter(path);
    }

    /// <summary>Notes when a packet arrived, before any buffer holds it: the clock anchor of the track's sync samples.</summary>
    internal void Arrived(uint rtpTimestamp, long arrivalUnixMs)
    {
        lock (_gate) _arrivals.Offer(rtpTimestamp, arrivalUnixMs);
    }

    /// <summary>Writes the last second's least-delayed packet as a sync event (called once a second with the flush).</summary>
    internal void WriteSyncSample()
    {
        (uint Rtp, long At)? sample;
        lock (_gate)
        {
            if (_closed || !_started) return;
            sample = _arrivals.TakeWindow();
        }
        if (sample is var (rtp, at))
            _capture.Write(new TimelineEvent { Type = "sync", At = at, Participant = _track.Publisher.ParticipantId, Kind = _track.Kind, Ssrc = _track.Ssrc, Rtp = rtp });
    }

    /// <summary>Records one decrypted RTP packet; true when the recorder needs a keyframe to continue.</summary>
    internal bool Write(ReadOnlySpan<byte> rtp)
    {
        lock (_gate)
        {
            if (_closed) return false;
            if (_assembler is not null)
            {
                if (!_assembler.Push(rtp, out var frame, out var timestamp, out var wantsKeyframe)) return wantsKeyframe;
                _capture.Writer.TryWrite(this, frame, Position(timestamp), droppable: true);
                return false;
            }
            var headerLength = RtpHeader.Length(rtp);
            if (headerLength < 0 || headerLength >= rtp.Length) return false;
            var position = Position(RtpHeader.Timestamp(rtp));
            // Granule positions must never go backwards (RFC 7845 §4): a packet stamped before the last is left out.
            if (position <= _lastAudioPosition) return false;
            _lastAudioPosition = position;
            _capture.Writer.TryWrite(this, rtp[headerLength..], position, droppable: true);
            return false;
        }
    }

    internal void SenderReport(ulong ntp, uint rtpTimestamp) =>
        _capture.Write(new TimelineEvent { Type = "sr", Participant = _track.Publisher.ParticipantId, Kind = _track.Kind, Ssrc = _track.Ssrc, Rtp = rtpTimestamp, NtpMs = NtpToUnixMs(ntp) });

    /// <summary>Ticks of the track's clock since its first packet, across 32-bit wrap-around.</summary>
    private long Position(uint timestamp)
    {
        if (!_started)
        {
            _started = true;
            _lastTimestamp = timestamp;
            _capture.Write(new TimelineEvent
            {
                Type = "track", Participant = _track.Publisher.ParticipantId, Kind = _track.Kind, File = _file,
                Ssrc = _track.Ssrc, ClockRate = _track.ClockRate, FirstRtp = timestamp,
            });
            return 0;
        }
        _extended += (int)(timestamp - _lastTimestamp);
        _lastTimestamp = timestamp;
        return _extended;
    }

    void ICaptureSink.Write(ReadOnlySpan<byte> data, long position)
    {
        if (_video is not null) _video.WriteFrame(data, position);
        else _audio!.WritePacket(data, position);
    }

    void ICaptureSink.Flush()
    {
        _video?.Flush();
        _audio?.Flush();
    }

    void ICaptureSink.Close()
    {
        _video?.Dispose();
        _audio?.Dispose();
    }

    /// <summary>Stops recording; the file is closed by the writer task after what is already queued.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_closed) return;
            _closed = true;
        }
        _capture.Writer.Close(this);
    }

    private static long NtpToUnixMs(ulong ntp)
    {
        const long UnixEpochInNtpSeconds = 2_208_988_800;
        var seconds = (long)(ntp >> 32) - UnixEpochInNtpSeconds;
        var fraction = (ntp & 0xFFFF_FFFF) * 1000 / 0x1_0000_0000;
        return seconds * 1000 + (long)fraction;
    }
}
