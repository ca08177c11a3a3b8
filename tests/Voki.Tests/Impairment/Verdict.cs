using System.Globalization;
using Xunit.Abstractions;

namespace Voki.Tests.Impairment;

/// <summary>
/// The bounds of one impaired call, checked all at once: every figure goes to the test's output with ok or FAIL,
/// so a failing run still reports how far from each target it was.
/// </summary>
public sealed class Verdict(ITestOutputHelper output, string condition)
{
    private readonly List<string> _failures = [];

    public void Check(bool ok, string what)
    {
        output.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
        if (!ok) _failures.Add(what);
    }

    /// <summary>Each receiver decodes ≥ 90 % of the frames its publisher encoded, frozen (<see cref="ReceivedVideo.Frozen"/>) at most <paramref name="maxFrozen"/> s.</summary>
    public void Live(Stretch stretch, double? maxFrozen, string? only = null, string what = "live")
    {
        foreach (var d in stretch.Directions.Where(d => only is null || d.Publisher == only))
        {
            var line = F($"{what}, {d.Publisher} → {d.Receiver} over {stretch.Seconds:F1} s: sent {d.Sent}; received {d.Received}");
            Check(d.Received.DecodedFps >= 0.9 * d.Sent.EncodedFps, F($"{line} — decoded ≥ 90 % of encoded ({0.9 * d.Sent.EncodedFps:F1} fps)"));
            if (maxFrozen is { } max)
                Check(d.Received.Frozen <= max, F($"{what}, {d.Receiver} frozen {d.Received.Frozen:F2} s — want ≤ {max:F1} s"));
        }
    }

    /// <summary>Each tile of the recording holds ≥ <paramref name="minShare"/> of the pictures its publisher encoded, frozen at most <paramref name="maxFrozen"/> s.</summary>
    public void Recording(Stretch stretch, IReadOnlyList<TileMotion> tiles, double maxFrozen, double minShare = 0.95)
    {
        foreach (var tile in tiles)
        {
            var encoded = stretch.Direction(tile.ParticipantId).Sent.EncodedFps;
            Check(tile.PicturesPerSecond >= minShare * encoded, F($"recording, {tile} — want ≥ {minShare:P0} of the {encoded:F1} fps encoded"));
            Check(tile.FrozenSeconds <= maxFrozen, F($"recording, {tile.ParticipantId} frozen {tile.FrozenSeconds:F2} s — want ≤ {maxFrozen:F1} s"));
        }
    }

    public void Pass() => Assert.True(_failures.Count == 0, $"{condition}: {string.Join("; ", _failures)}");

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
