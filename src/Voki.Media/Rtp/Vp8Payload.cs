namespace Voki.Media.Rtp;

/// <summary>The VP8 RTP payload descriptor (RFC 7741 §4.2) and the keyframe bit of the frame header (RFC 6386 §9.1).</summary>
public static class Vp8Payload
{
    /// <summary>True when the packet starts a VP8 keyframe; false for anything else, including malformed payloads.</summary>
    public static bool IsKeyframeStart(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 1) return false;
        var x = (payload[0] & 0x80) != 0;
        var start = (payload[0] & 0x10) != 0;
        var partition = payload[0] & 0x07;
        if (!start || partition != 0) return false;
        var offset = 1;
        if (x)
        {
            if (payload.Length < 2) return false;
            var i = (payload[1] & 0x80) != 0;
            var l = (payload[1] & 0x40) != 0;
            var t = (payload[1] & 0x20) != 0;
            var k = (payload[1] & 0x10) != 0;
            offset = 2;
            if (i)
            {
                if (payload.Length <= offset) return false;
                offset += (payload[offset] & 0x80) != 0 ? 2 : 1;
            }
            if (l) offset++;
            if (t || k) offset++;
        }
        // The first bit of the VP8 frame tag is 0 for a keyframe.
        return payload.Length > offset && (payload[offset] & 0x01) == 0;
    }

    /// <summary>
    /// The descriptor's PictureID (7 or 15 bits, by its M bit) and TL0PICIDX, each −1 when absent: what a layer switch
    /// must keep continuous for the subscriber's decoder (RFC 7741 §4.2).
    /// </summary>
    public static Vp8PictureIds ReadIds(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 2 || (payload[0] & 0x80) == 0) return Vp8PictureIds.None;
        int pictureId = -1, tl0 = -1, offset = 2;
        var longId = false;
        if ((payload[1] & 0x80) != 0)
        {
            if (payload.Length <= offset) return Vp8PictureIds.None;
            longId = (payload[offset] & 0x80) != 0;
            if (longId)
            {
                if (payload.Length <= offset + 1) return Vp8PictureIds.None;
                pictureId = ((payload[offset] & 0x7F) << 8) | payload[offset + 1];
                offset += 2;
            }
            else pictureId = payload[offset++] & 0x7F;
        }
        if ((payload[1] & 0x40) != 0)
        {
            if (payload.Length <= offset) return Vp8PictureIds.None;
            tl0 = payload[offset];
        }
        return new Vp8PictureIds(pictureId, longId, tl0);
    }

    /// <summary>Overwrites the PictureID and TL0PICIDX that <paramref name="payload"/> carries (as <see cref="ReadIds"/> found them).</summary>
    public static void WriteIds(Span<byte> payload, Vp8PictureIds ids)
    {
        var offset = 2;
        if (ids.PictureId >= 0)
        {
            if (ids.LongPictureId)
            {
                payload[offset] = (byte)(0x80 | ((ids.PictureId >> 8) & 0x7F));
                payload[offset + 1] = (byte)ids.PictureId;
                offset += 2;
            }
            else payload[offset++] = (byte)(ids.PictureId & 0x7F);
        }
        if (ids.Tl0PicIdx >= 0) payload[offset] = (byte)ids.Tl0PicIdx;
    }
}

/// <summary>A VP8 packet's PictureID (−1: absent), whether it is the 15-bit form, and its TL0PICIDX (−1: absent).</summary>
public readonly record struct Vp8PictureIds(int PictureId, bool LongPictureId, int Tl0PicIdx)
{
    public static readonly Vp8PictureIds None = new(-1, false, -1);
    public int PictureIdMask => LongPictureId ? 0x7FFF : 0x7F;
}
