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
}
