namespace Voki.Tests.Impairment;

/// <summary>The measures the impairment tests and bench/impairment read calls with, on made-up series and pictures.</summary>
public sealed class ImpairmentMeasuresTests
{
    [Fact]
    public void A_receiver_stalls_when_its_decoded_frames_stand_still_for_more_than_half_a_second_including_to_the_end()
    {
        // 4 samples a second; 7 frames each, then nothing from 1.0 s to 2.0 s, then 7 again, then nothing from 3.0 s to the end at 3.75 s.
        var series = new List<(long, long)>();
        long frames = 0;
        for (int i = 0; i <= 15; i++)
        {
            long at = i * 250;
            if (i > 0 && !(at > 1000 && at < 2000) && at <= 3000) frames += 7;
            series.Add((at, frames));
        }
        // Seen still from the sample at 1.0 s to the one at 1.75 s (0.75 s), and from 3.0 s to the end (0.75 s).
        Assert.Equal(0.75 + 0.75, Stretch.Stalled(series), precision: 3);
        Assert.Equal(0, Stretch.Stalled([(0, 0), (250, 7), (500, 14), (750, 14), (1000, 21)])); // a quarter-second gap is no stall
        Assert.Equal(0, Stretch.Stalled([(0, 0), (250, 7), (2250, 67), (2500, 74)])); // a late sample that saw frames advance is no stall
    }

    [Fact]
    public void A_tile_counts_new_pictures_and_the_time_pictures_stood_still_longer_than_a_freeze()
    {
        const int size = 160 * 120;
        byte[] Picture(int n) { var p = new byte[size]; Array.Fill(p, (byte)(n * 40 % 250)); return p; }
        // 30 fps: a new picture every frame for 10 frames, the same one for 15 frames (0.5 s), then 5 new ones.
        var frames = Enumerable.Range(0, 10).Select(Picture)
            .Concat(Enumerable.Repeat(Picture(10), 15))
            .Concat(Enumerable.Range(11, 5).Select(Picture)).ToList();
        var motion = RecordedMotion.Motion("p", frames, fps: 30, seconds: frames.Count / 30.0);
        Assert.Equal(9 + 1 + 5, motion.DistinctPictures);
        Assert.Equal(15 / 30.0, motion.FrozenSeconds, precision: 3);
        Assert.Equal(500, motion.LongestStillMs);

        // The re-encoding of a still picture (a few grey levels here and there) is no new picture.
        var noisy = Picture(3).ToArray();
        for (int i = 0; i < size; i += 7) noisy[i] = (byte)(noisy[i] + RecordedMotion.PixelThreshold);
        Assert.Equal(0, RecordedMotion.Motion("p", [Picture(3), noisy], 30, 1 / 15.0).DistinctPictures);
    }
}
