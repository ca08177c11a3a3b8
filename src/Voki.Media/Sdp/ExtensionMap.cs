namespace Voki.Media.Sdp;

/// <summary>
/// a=extmap (RFC 8285 §8): "a=extmap:&lt;id&gt;[/&lt;direction&gt;] &lt;uri&gt; [attributes]". We only use the one-byte form,
/// ids 1–14, and always the peer's own id for a URI, so every section of one BUNDLE agrees.
/// </summary>
public static class ExtensionMap
{
    public static int? IdOf(this MediaDescription section, string uri)
    {
        foreach (var value in section.AttributeValues("extmap"))
        {
            var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || parts[1] != uri) continue;
            var slash = parts[0].IndexOf('/');
            if ((slash < 0 ? parts[0] : parts[0][..slash]) is var text && int.TryParse(text, out var id) && id is >= 1 and <= 14) return id;
        }
        return null;
    }
}
