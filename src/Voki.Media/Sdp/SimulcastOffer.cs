namespace Voki.Media.Sdp;

/// <summary>
/// What a sending m= section offers as simulcast: "a=simulcast:send" (RFC 8853 §5.1) naming the RTP streams by
/// "a=rid:&lt;id&gt; send" (RFC 8851 §4). The layers are taken in the order listed, lowest first: the order of
/// sendEncodings in both browsers and libwebrtc's convention for simulcast clients. Of a stream's alternatives
/// (",") the first is taken; paused streams ("~") are left out; at most <see cref="MaxLayers"/> are kept.
/// </summary>
public static class SimulcastOffer
{
    public const int MaxLayers = 3;

    public static IReadOnlyList<string> SendRids(this MediaDescription section)
    {
        var declared = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rid in section.AttributeValues("rid"))
        {
            var parts = rid.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && parts[1] == "send" && IsRid(parts[0])) declared.Add(parts[0]);
        }
        var simulcast = section.Attribute("simulcast");
        if (simulcast is null || declared.Count == 0) return [];
        var parts2 = simulcast.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var layers = new List<string>();
        for (var i = 0; i + 1 < parts2.Length; i += 2)
        {
            if (parts2[i] != "send") continue;
            foreach (var stream in parts2[i + 1].Split(';'))
            {
                var first = stream.Split(',')[0];
                if (first.StartsWith('~')) continue;
                if (declared.Contains(first) && !layers.Contains(first) && layers.Count < MaxLayers) layers.Add(first);
            }
        }
        return layers.Count >= 2 ? layers : [];
    }

    /// <summary>RFC 8851 §10: rid-id = 1*(alpha-numeric / "-" / "_"); we also bound its length (it travels in a header extension).</summary>
    private static bool IsRid(string value) =>
        value.Length is >= 1 and <= 16 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
