namespace Voki.Media.Sdp;

/// <summary>
/// An SDP session description (RFC 8866) reduced to what a WebRTC SFU reads and writes: session
/// attributes and media sections with their attribute lines kept in order.
/// </summary>
public sealed class SessionDescription
{
    public List<SdpAttribute> Attributes { get; } = [];
    public List<MediaDescription> Media { get; } = [];

    /// <summary>Parses an offer or answer; throws <see cref="SdpException"/> with a reason when it is malformed.</summary>
    public static SessionDescription Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new SdpException("empty SDP");
        if (text.Length > 64 * 1024) throw new SdpException("SDP too large");
        var sdp = new SessionDescription();
        MediaDescription? current = null;
        var sawVersion = false;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.Length < 2 || line[1] != '=') throw new SdpException($"malformed line \"{Truncate(line)}\"");
            var value = line[2..];
            switch (line[0])
            {
                case 'v':
                    if (value != "0") throw new SdpException("unsupported SDP version");
                    sawVersion = true;
                    break;
                case 'm':
                    current = MediaDescription.ParseMediaLine(value);
                    sdp.Media.Add(current);
                    break;
                case 'a':
                    var attribute = SdpAttribute.Parse(value);
                    (current?.Attributes ?? sdp.Attributes).Add(attribute);
                    break;
                case 'c':
                    if (current is not null) current.Connection = value;
                    break;
            }
        }
        if (!sawVersion) throw new SdpException("missing v=0");
        return sdp;
    }

    /// <summary>A session or media attribute value, media level first (ice-ufrag, fingerprint… may be at either).</summary>
    public string? Find(MediaDescription? media, string name) =>
        media?.Attribute(name) ?? Attributes.FirstOrDefault(a => a.Name == name)?.Value;

    private static string Truncate(string line) => line.Length > 40 ? line[..40] + "…" : line;
}

public sealed record SdpAttribute(string Name, string? Value)
{
    public static SdpAttribute Parse(string text)
    {
        var colon = text.IndexOf(':');
        return colon < 0 ? new SdpAttribute(text, null) : new SdpAttribute(text[..colon], text[(colon + 1)..]);
    }

    public override string ToString() => Value is null ? $"a={Name}" : $"a={Name}:{Value}";
}

/// <summary>A description we cannot use; its message is the reason the signalling layer returns to the client.</summary>
public class SdpException : Exception
{
    public SdpException(string reason) : base($"Invalid SDP: {reason}") { }

    /// <summary>For refusals of a well-formed description, which say so themselves.</summary>
    protected SdpException(string message, Exception? inner) : base(message, inner) { }
}
