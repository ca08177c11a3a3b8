namespace Voki.Media.Sdp;

/// <summary>One m= section (RFC 8866 §5.14) with its attributes.</summary>
public sealed class MediaDescription
{
    public string Kind { get; init; } = "";
    public int Port { get; set; }
    public string Protocol { get; init; } = "";
    public List<string> Formats { get; init; } = [];
    public string? Connection { get; set; }
    public List<SdpAttribute> Attributes { get; } = [];

    public string? Mid => Attribute("mid");

    public string Direction =>
        Attributes.FirstOrDefault(a => a.Value is null && a.Name is "sendrecv" or "sendonly" or "recvonly" or "inactive")?.Name ?? "sendrecv";

    public bool Sends => Direction is "sendrecv" or "sendonly";

    public string? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name)?.Value;

    public IEnumerable<string> AttributeValues(string name) => Attributes.Where(a => a.Name == name && a.Value is not null).Select(a => a.Value!);

    /// <summary>The payload type whose rtpmap names <paramref name="codec"/> (case-insensitive), e.g. "opus/48000/2".</summary>
    public int? PayloadTypeOf(string codec)
    {
        foreach (var map in AttributeValues("rtpmap"))
        {
            var space = map.IndexOf(' ');
            if (space > 0 && map[(space + 1)..].StartsWith(codec, StringComparison.OrdinalIgnoreCase)
                && int.TryParse(map[..space], out var pt) && Formats.Contains(map[..space]))
                return pt;
        }
        return null;
    }

    /// <summary>
    /// The RTX payload type (RFC 4588 §8.1) that retransmits <paramref name="primary"/>: an rtpmap "rtx/…" whose
    /// fmtp says apt=<paramref name="primary"/>, listed among the section's formats.
    /// </summary>
    public int? RtxPayloadTypeFor(int primary)
    {
        foreach (var map in AttributeValues("rtpmap"))
        {
            var space = map.IndexOf(' ');
            if (space <= 0 || !map[(space + 1)..].StartsWith("rtx/", StringComparison.OrdinalIgnoreCase)) continue;
            var pt = map[..space];
            if (!Formats.Contains(pt) || !int.TryParse(pt, out var rtx)) continue;
            foreach (var fmtp in AttributeValues("fmtp"))
            {
                if (!fmtp.StartsWith(pt + " ", StringComparison.Ordinal)) continue;
                foreach (var parameter in fmtp[(pt.Length + 1)..].Split(';', StringSplitOptions.TrimEntries))
                    if (parameter.StartsWith("apt=", StringComparison.OrdinalIgnoreCase) && int.TryParse(parameter[4..], out var apt) && apt == primary)
                        return rtx;
            }
        }
        return null;
    }

    /// <summary>The repair SSRC paired with <paramref name="primary"/> by "a=ssrc-group:FID primary repair" (RFC 5576 §4.2, RFC 4588 §8.1).</summary>
    public uint? RepairSsrcFor(uint primary)
    {
        foreach (var group in AttributeValues("ssrc-group"))
        {
            var parts = group.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 3 && parts[0] == "FID" && uint.TryParse(parts[1], out var first) && first == primary && uint.TryParse(parts[2], out var repair))
                return repair;
        }
        return null;
    }

    /// <summary>
    /// The first SSRC the section announces (a=ssrc), the publisher's media source; an SSRC that an ssrc-group
    /// names as another's repair (FID, RFC 4588 §8.1) is not one, wherever its lines come.
    /// </summary>
    public uint? FirstSsrc
    {
        get
        {
            var repairs = new HashSet<uint>();
            foreach (var group in AttributeValues("ssrc-group"))
            {
                var parts = group.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 3 && parts[0] == "FID" && uint.TryParse(parts[2], out var repair)) repairs.Add(repair);
            }
            foreach (var value in AttributeValues("ssrc"))
            {
                var space = value.IndexOf(' ');
                if (uint.TryParse(space < 0 ? value : value[..space], out var ssrc) && !repairs.Contains(ssrc)) return ssrc;
            }
            return null;
        }
    }

    public static MediaDescription ParseMediaLine(string value)
    {
        var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 3 || !int.TryParse(parts[1].Split('/')[0], out var port) || port is < 0 or > 65535)
            throw new SdpException("malformed m= line");
        return new MediaDescription { Kind = parts[0], Port = port, Protocol = parts[2], Formats = parts.Skip(3).ToList() };
    }
}
