using Voki.Media.Rtp;

namespace Voki.Media.Recording;

/// <summary>
/// Reassembles VP8 frames from RTP (RFC 7741 §4): a frame starts with the S bit on partition 0 and
/// ends with the marker bit; a frame with a missing packet is dropped, and after a loss we wait for
/// the next keyframe so the recording never holds frames that reference what we lost.
/// </summary>
public sealed class Vp8FrameAssembler
{
    private readonly byte[] _frame = new byte[1 << 20];
    private int _length;
    private bool _inFrame, _needKeyframe = true;
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
        var payload = rtp[headerLength..];
        var descriptor = DescriptorLength(payload);
        if (descriptor < 0 || descriptor >= payload.Length) return false;
        var start = (payload[0] & 0x10) != 0 && (payload[0] & 0x07) == 0;

        if (start)
        {
            if (_needKeyframe && (payload[descriptor] & 0x01) != 0) { _inFrame = false; wantsKeyframe = true; return false; }
            _needKeyframe = false;
            _inFrame = true;
            _length = 0;
            _timestamp = RtpHeader.Timestamp(rtp);
        }
        else if (!_inFrame) return false;
        else if (sequence != _expectedSequence || RtpHeader.Timestamp(rtp) != _timestamp)
        {
            // A packet of this frame went missing: drop it and resynchronise on a keyframe.
            _inFrame = false;
            _needKeyframe = wantsKeyframe = true;
            return false;
        }
        _expectedSequence = (ushort)(sequence + 1);
        var body = payload[descriptor..];
        if (_length + body.Length > _frame.Length) { _inFrame = false; return false; }
        body.CopyTo(_frame.AsSpan(_length));
        _length += body.Length;
        if (!RtpHeader.Marker(rtp)) return false;
        _inFrame = false;
        frame = _frame.AsSpan(0, _length);
        timestamp = _timestamp;
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
