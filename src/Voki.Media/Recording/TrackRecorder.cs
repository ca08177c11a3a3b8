using Voki.Media.Rtp;
using Voki.Media.Sfu;

namespace Voki.Media.Recording;

/// <summary>One published track written to its file as it arrives: VP8 frames into IVF, Opus packets into Ogg.</summary>
public sealed class TrackRecorder : IDisposable
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
    private uint _firstTimestamp, _lastTimestamp;
    private long _extended;

    internal TrackRecorder(CallCapture capture, PublishedTrack track, string path, string file)
    {
        _capture = capture;
        _track = track;
        _file = file;
        _arrivals = new ArrivalSampler(track.ClockRate);
        if (track.Kind == "video") { _video = new IvfWriter(path); _assembler = new Vp8FrameAssembler(); }
        else _audio = new OggOpusWriter(path);
    }

    /// <summary>Records one decrypted RTP packet; true when the recorder needs a keyframe to continue.</summary>
    internal bool Write(ReadOnlySpan<byte> rtp)
    {
        lock (_gate)
        {
            if (_closed) return false;
            _arrivals.Offer(RtpHeader.Timestamp(rtp), TimelineEvent.Now());
            if (_assembler is not null)
            {
                if (!_assembler.Push(rtp, out var frame, out var timestamp, out var wantsKeyframe)) return wantsKeyframe;
                _video!.WriteFrame(frame, Position(timestamp));
                return false;
            }
            var headerLength = RtpHeader.Length(rtp);
            if (headerLength < 0 || headerLength >= rtp.Length) return false;
            _audio!.WritePacket(rtp[headerLength..], Position(RtpHeader.Timestamp(rtp)));
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
            _firstTimestamp = _lastTimestamp = timestamp;
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

    internal void Flush()
    {
        lock (_gate)
        {
            if (_closed) return;
            if (_started && _arrivals.TakeWindow() is var (rtp, at))
                _capture.Write(new TimelineEvent { Type = "sync", At = at, Participant = _track.Publisher.ParticipantId, Kind = _track.Kind, Ssrc = _track.Ssrc, Rtp = rtp });
            _video?.Flush();
            _audio?.Flush();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_closed) return;
            _closed = true;
            _video?.Dispose();
            _audio?.Dispose();
        }
    }

    private static long NtpToUnixMs(ulong ntp)
    {
        const long UnixEpochInNtpSeconds = 2_208_988_800;
        var seconds = (long)(ntp >> 32) - UnixEpochInNtpSeconds;
        var fraction = (ntp & 0xFFFF_FFFF) * 1000 / 0x1_0000_0000;
        return seconds * 1000 + (long)fraction;
    }
}
