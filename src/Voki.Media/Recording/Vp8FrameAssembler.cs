using Voki.Media.Rtp;

namespace Voki.Media.Recording;

/// <summary>
/// Reassembles VP8 frames from RTP in sequence order (RFC 7741 §4): a frame starts with the S bit on partition 0
/// and ends with the marker bit. Any gap in the sequence numbers loses the frame it falls in (or a whole frame
/// between two), so the frame is dropped and we wait for the next keyframe: the recording never holds frames that
/// reference what we lost. The frame buffer is allocated with the first frame and grows with the largest frame seen, up to <see cref="MaxFrameSize"/>.
/// </summary>
public sealed class Vp8FrameAssembler
{
    public const int MaxFrameSize = 1 << 20;
    private const int InitialFrameSize = 16 << 10;
    // Allocated with the first frame: a track that never sends video costs nothing.
    private byte[] _frame = [];
    private int _length;
    private bool _inFrame, _needKeyframe = true, _sequenced;
    private ushort _expectedSequence;
    private uint _timestamp;

    /// <summary>True when the last packet completed a frame; the frame is then in <paramref name="frame"/>.</summary>
    public bool Push(ReadOnlySpan<byte> rtp, out ReadOnlySpan<byte> frame, out uint timestamp, out bool wantsKeyframe)
    {
        frame = default;
        timestamp = 0;
        wantsKeyframe = false;
        var headerLength = RtpHeader.Length(rtp);
        if (headerLength < 0 || headerLength >= rtp.Length) return false;
        var sequence = RtpHeader.Sequence(rtp);
        var gap = _sequenced && sequence != _expectedSequence;
        _sequenced = true;
        _expectedSequence = (ushort)(sequence + 1);
        var payload = rtp[headerLength..];
        if ((rtp[0] & 0x20) != 0)
        {
            // Padding (RFC 3550 §5.1), which senders also send alone to probe bandwidth: it keeps its place in the sequence.
            var padding = payload.Length > 0 ? payload[^1] : 0;
            if (padding == 0 || padding > payload.Length) return false;
            payload = payload[..^padding];
            if (payload.IsEmpty) return false;
        }
        var descriptor = DescriptorLength(payload);
        if (descriptor < 0 || descriptor >= payload.Length) return false;
        var start = (payload[0] & 0x10) != 0 && (payload[0] & 0x07) == 0;

        if (gap && !_needKeyframe)
        {
            // What went missing belonged to this frame, the one before, or a frame in between.
            _inFrame = false;
            _needKeyframe = wantsKeyframe = true;
        }
        if (start)
        {
            if (_needKeyframe && (payload[descriptor] & 0x01) != 0) { _inFrame = false; wantsKeyframe = true; return false; }
            _needKeyframe = false;
            _inFrame = true;
            _length = 0;
            _timestamp = RtpHeader.Timestamp(rtp);
        }
        else if (!_inFrame) return false;
        else if (RtpHeader.Timestamp(rtp) != _timestamp)
        {
            // A frame whose marker packet never came.
            _inFrame = false;
            _needKeyframe = wantsKeyframe = true;
            return false;
        }
        var body = payload[descriptor..];
        if (!Fits(_length + body.Length)) { _inFrame = false; _needKeyframe = wantsKeyframe = true; return false; }
        body.CopyTo(_frame.AsSpan(_length));
        _length += body.Length;
        if (!RtpHeader.Marker(rtp)) return false;
        _inFrame = false;
        frame = _frame.AsSpan(0, _length);
        timestamp = _timestamp;
        return true;
    }

    /// <summary>Drops the frame in progress and waits for the next keyframe (the recorder starts a new segment with one).</summary>
    public void RequireKeyframe()
    {
        _inFrame = false;
        _needKeyframe = true;
    }

    /// <summary>The frame buffer's size now: it grows with the largest frame seen.</summary>
    public int BufferSize => _frame.Length;

    private bool Fits(int length)
    {
        if (length <= _frame.Length) return true;
        if (length > MaxFrameSize) return false;
        var grown = new byte[Math.Min(MaxFrameSize, Math.Max(Math.Max(length, InitialFrameSize), _frame.Length * 2))];
        _frame.AsSpan(0, _length).CopyTo(grown);
        _frame = grown;
        return true;
    }

    /// <summary>Length of the VP8 payload descriptor (RFC 7741 §4.2); -1 when truncated.</summary>
    private static int DescriptorLength(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 1) return -1;
        if ((payload[0] & 0x80) == 0) return 1;
        if (payload.Length < 2) return -1;
        var length = 2;
        var x = payload[1];
        if ((x & 0x80) != 0) { if (payload.Length <= length) return -1; length += (payload[length] & 0x80) != 0 ? 2 : 1; }
        if ((x & 0x40) != 0) length++;
        if ((x & 0x30) != 0) length++;
        return length;
    }
}
