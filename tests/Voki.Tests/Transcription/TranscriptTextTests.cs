using Voki.Grains.Model;
using Voki.Transcription;

namespace Voki.Tests.Transcription;

/// <summary>The merged text and the WebVTT captions built from per-speaker segments, and the language tags.</summary>
public sealed class TranscriptTextTests
{
    private static TranscriptSegment S(double start, double end, string speaker, string name, string text) =>
        new() { Start = start, End = end, Speaker = speaker, SpeakerName = name, Text = text };

    private static readonly TranscriptSegment[] Call =
    [
        S(4.2, 6.0, "customer", "Carlos Ferreira", " Preciso da segunda via."),
        S(0.5, 2.0, "attendant", "Ana Souza", " Olá, em que posso ajudar?"),
        S(6.5, 7.0, "customer", "Carlos Ferreira", "Do boleto."),
        S(8.0, 9.5, "supervisor", "", "Estou acompanhando."),
        S(2.5, 3.0, "attendant", "Ana Souza", "   "),
    ];

    [Fact]
    public void The_merged_text_has_one_line_per_turn_in_time_order()
    {
        Assert.Equal(
            "Ana Souza: Olá, em que posso ajudar?\nCarlos Ferreira: Preciso da segunda via. Do boleto.\nSupervisor: Estou acompanhando.",
            TranscriptText.Merge(Call));
        Assert.Equal("", TranscriptText.Merge([]));
    }

    [Fact]
    public void WebVtt_has_one_cue_per_segment_with_its_speaker_as_the_voice()
    {
        var vtt = TranscriptText.WebVtt(Call);
        Assert.Equal("""
            WEBVTT

            1
            00:00:00.500 --> 00:00:02.000
            <v Ana Souza>Olá, em que posso ajudar?

            2
            00:00:04.200 --> 00:00:06.000
            <v Carlos Ferreira>Preciso da segunda via.

            3
            00:00:06.500 --> 00:00:07.000
            <v Carlos Ferreira>Do boleto.

            4
            00:00:08.000 --> 00:00:09.500
            <v Supervisor>Estou acompanhando.

            """.Replace("\r\n", "\n"), vtt);
    }

    [Fact]
    public void WebVtt_escapes_markup_and_keeps_each_caption_on_one_line()
    {
        var vtt = TranscriptText.WebVtt([S(3725.0004, 3725.0004, "customer", "<b>Eve</b> & co", "a < b --> c\n\nnext")]);
        Assert.Contains("01:02:05.000 --> 01:02:05.001\n<v &lt;b&gt;Eve&lt;/b&gt; &amp; co>a &lt; b -&gt; c next\n", vtt);
        Assert.Equal("00:00:00.000", TranscriptText.Timestamp(-1));
        Assert.Equal("10:00:00.250", TranscriptText.Timestamp(36000.25));
    }

    [Theory]
    [InlineData("pt-BR", "pt")]
    [InlineData("en-US", "en")]
    [InlineData("es", "es")]
    [InlineData("fr", "fr")]
    [InlineData("detect", null)]
    public void A_company_locale_names_a_whisper_language(string locale, string? whisper) =>
        Assert.Equal(whisper, LanguageTags.ToWhisper(locale));

    [Theory]
    [InlineData("pt", "pt-BR")]
    [InlineData("en", "en-US")]
    [InlineData("es", "es")]
    [InlineData("de", "de")]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void A_detected_language_is_reported_as_bcp47(string? whisper, string? tag) =>
        Assert.Equal(tag, LanguageTags.FromWhisper(whisper));
}
