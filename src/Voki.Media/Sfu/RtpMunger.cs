using Voki.Media.Rtp;

namespace Voki.Media.Sfu;

/// <summary>
/// One forwarded track's numbering in the subscriber's space: sequence numbers and timestamps (RFC 3550 §5.1) from a
/// random offset, and for simulcast the VP8 PictureID and TL0PICIDX (RFC 7741 §4.2). A single stream keeps its offsets
/// for good. A simulcast layer switch re-bases them at the new layer's keyframe so the subscriber sees one stream that
/// goes on: the next sequence number, a timestamp as far on as the capture clock moved, the next picture; what the
/// new layer sent before that keyframe (a late or recovered packet) no longer has a place and is dropped.
/// Used by the receive thread only, apart from <see cref="TranslateTimestamp"/> for sender reports.
/// </summary>
internal sealed class RtpMunger
{
    private ushort _sequenceOffset = (ushort)Random.Shared.Next(0, ushort.MaxValue);
    private uint _timestampOffset = (uint)Random.Shared.NextInt64(0, uint.MaxValue);
    private int _pictureIdOffset, _tl0Offset;
    private bool _started, _rebased;
    private ushort _switchSequence, _lastSequence;
    private uint _lastTimestamp;
    private int _lastPictureId = -1, _lastTl0 = -1;

    public bool Started => _started;
    public uint LastTimestamp => _lastTimestamp;

    public uint TranslateTimestamp(uint sourceTimestamp) => unchecked(sourceTimestamp + Volatile.Read(ref _timestampOffset));

    public ushort TranslateSequence(ushort sourceSequence) => unchecked((ushort)(sourceSequence + _sequenceOffset));

    /// <summary>True for a packet of the current layer that precedes the keyframe it was switched to at.</summary>
    public bool BeforeSwitch(ushort sourceSequence) => _rebased && (short)(sourceSequence - _switchSequence) < 0;

    /// <summary>Continues the subscriber's stream with the keyframe that starts at <paramref name="sourceSequence"/>, whose timestamp becomes <paramref name="timestamp"/>.</summary>
    public void Rebase(ushort sourceSequence, uint sourceTimestamp, uint timestamp, Vp8PictureIds ids)
    {
        if (_started)
        {
            _sequenceOffset = unchecked((ushort)(_lastSequence + 1 - sourceSequence));
            if (ids.PictureId >= 0 && _lastPictureId >= 0) _pictureIdOffset = (_lastPictureId + 1 - ids.PictureId) & ids.PictureIdMask;
            if (ids.Tl0PicIdx >= 0 && _lastTl0 >= 0) _tl0Offset = (_lastTl0 + 1 - ids.Tl0PicIdx) & 0xFF;
        }
        Volatile.Write(ref _timestampOffset, unchecked(timestamp - sourceTimestamp));
        _switchSequence = sourceSequence;
        _rebased = true;
    }

    public Vp8PictureIds TranslateIds(Vp8PictureIds ids) => new(
        ids.PictureId < 0 ? -1 : (ids.PictureId + _pictureIdOffset) & ids.PictureIdMask,
        ids.LongPictureId,
        ids.Tl0PicIdx < 0 ? -1 : (ids.Tl0PicIdx + _tl0Offset) & 0xFF);

    /// <summary>Remembers the newest numbers sent, which the next switch continues from.</summary>
    public void Sent(ushort sequence, uint timestamp, Vp8PictureIds ids)
    {
        if (!_started || (short)(sequence - _lastSequence) > 0) _lastSequence = sequence;
        if (!_started || (int)(timestamp - _lastTimestamp) > 0) _lastTimestamp = timestamp;
        if (ids.PictureId >= 0 && (_lastPictureId < 0 || ((ids.PictureId - _lastPictureId) & ids.PictureIdMask) < (ids.PictureIdMask + 1) / 2))
            _lastPictureId = ids.PictureId;
        if (ids.Tl0PicIdx >= 0 && (_lastTl0 < 0 || ((ids.Tl0PicIdx - _lastTl0) & 0xFF) < 0x80)) _lastTl0 = ids.Tl0PicIdx;
        _started = true;
    }
}
