using System.Text;

namespace Voki.Media.Rtp;

/// <summary>
/// The SDES header extensions that name an RTP stream before its SSRC is known: the m= section (MID, RFC 9143 §15),
/// the simulcast layer (RtpStreamId) and the layer an RTX stream repairs (RepairedRtpStreamId), RFC 8852 §3–4.
/// Values are short ASCII strings (RFC 8851 §10).
/// </summary>
public static class RtpStreamId
{
    public const string MidUri = "urn:ietf:params:rtp-hdrext:sdes:mid";
    public const string RidUri = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
    public const string RepairedRidUri = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";

    /// <summary>The extension's text, or null when absent or not a plain identifier.</summary>
    public static string? Read(Span<byte> packet, int id)
    {
        if (id == 0) return null;
        var value = HeaderExtension.Find(packet, id);
        if (value.IsEmpty) return null;
        foreach (var b in value)
            if (!(b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or (byte)'-' or (byte)'_'))
                return null;
        return Encoding.ASCII.GetString(value);
    }
}
