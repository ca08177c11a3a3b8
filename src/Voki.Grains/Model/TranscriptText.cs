using System.Globalization;
using System.Text;

namespace Voki.Grains.Model;

/// <summary>The two renderings of a transcript: the merged text of the recording object, and WebVTT captions.</summary>
public static class TranscriptText
{
    /// <summary>Segments in time order (ties: the earlier end first, then the speaker), as the endpoints list them.</summary>
    public static List<TranscriptSegment> InTimeOrder(IEnumerable<TranscriptSegment> segments) =>
        [.. segments.OrderBy(s => s.Start).ThenBy(s => s.End).ThenBy(s => s.Speaker, StringComparer.Ordinal).ThenBy(s => s.SpeakerName, StringComparer.Ordinal)];

    /// <summary>One line per turn, "Name: words", consecutive segments of one speaker joined; empty when nothing was said.</summary>
    public static string Merge(IEnumerable<TranscriptSegment> segments)
    {
        var text = new StringBuilder();
        (string Speaker, string Name)? current = null;
        foreach (var segment in InTimeOrder(segments))
        {
            var words = segment.Text.Trim();
            if (words.Length == 0) continue;
            var who = (segment.Speaker, segment.SpeakerName);
            if (current == who) text.Append(' ').Append(words);
            else
            {
                if (current is not null) text.Append('\n');
                text.Append(Label(segment)).Append(": ").Append(words);
                current = who;
            }
        }
        return text.ToString();
    }

    /// <summary>WebVTT captions on the recording's timeline; each cue names its speaker with a voice span.</summary>
    public static string WebVtt(IEnumerable<TranscriptSegment> segments)
    {
        var vtt = new StringBuilder("WEBVTT\n");
        var cue = 0;
        foreach (var segment in InTimeOrder(segments))
        {
            var words = segment.Text.Trim();
            if (words.Length == 0) continue;
            var end = Math.Max(segment.End, segment.Start + 0.001);
            vtt.Append('\n').Append(++cue).Append('\n')
               .Append(Timestamp(segment.Start)).Append(" --> ").Append(Timestamp(end)).Append('\n')
               .Append("<v ").Append(Escape(Label(segment))).Append('>').Append(Escape(OneLine(words))).Append('\n');
        }
        return vtt.ToString();
    }

    /// <summary>HH:MM:SS.mmm, as WebVTT wants it.</summary>
    public static string Timestamp(double seconds)
    {
        var ms = (long)Math.Round(Math.Max(0, seconds) * 1000, MidpointRounding.AwayFromZero);
        return string.Create(CultureInfo.InvariantCulture, $"{ms / 3_600_000:00}:{ms / 60_000 % 60:00}:{ms / 1000 % 60:00}.{ms % 1000:000}");
    }

    private static string Label(TranscriptSegment s) =>
        string.IsNullOrWhiteSpace(s.SpeakerName) ? CultureInfo.InvariantCulture.TextInfo.ToTitleCase(s.Speaker) : OneLine(s.SpeakerName.Trim());

    // A cue ends at a blank line and "-->" starts a timing line, so caption text stays on one line without that arrow.
    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Replace("-->", "->");

    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
