namespace Voki.Transcription;

/// <summary>Between the company locale (BCP-47, or "detect") and Whisper's two- or three-letter language codes.</summary>
public static class LanguageTags
{
    public const string Detect = "detect";

    // The region reported for a detected language where Voki's customers mostly are; other languages stay bare (valid BCP-47).
    private static readonly Dictionary<string, string> DefaultRegion = new(StringComparer.OrdinalIgnoreCase)
    {
        ["pt"] = "pt-BR",
        ["en"] = "en-US",
    };

    /// <summary>"pt-BR" → "pt"; null for "detect".</summary>
    public static string? ToWhisper(string locale) =>
        string.Equals(locale, Detect, StringComparison.OrdinalIgnoreCase) ? null : locale.Split('-', '_')[0].ToLowerInvariant();

    /// <summary>A language Whisper detected ("pt") as BCP-47 ("pt-BR"); null when it said nothing.</summary>
    public static string? FromWhisper(string? code) =>
        string.IsNullOrWhiteSpace(code) || code == "auto" ? null : DefaultRegion.GetValueOrDefault(code, code.ToLowerInvariant());
}
