using Voki.Media.Recording;

namespace Voki.Tests.Recording;

/// <summary>Fitting a track's frames to the recording's output frames (FrameGrid), on made-up frame times.</summary>
public sealed class FrameGridTests
{
    private const int Fps = 30;

    /// <summary>Frames of a <paramref name="rate"/> camera, <paramref name="phaseMs"/> after the output's frames, each stamped up to <paramref name="jitterMs"/> early or late.</summary>
    private static double[] Camera(double rate, double phaseMs, double jitterMs, double seconds = 20, int seed = 3)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, (int)(seconds * rate)).Select(k => k / rate + (phaseMs + (random.NextDouble() * 2 - 1) * jitterMs) / 1000)];
    }

    private static int Collisions(long[] slots) => slots.Skip(1).Where((s, i) => s <= slots[i]).Count();
    private static int Gaps(long[] slots) => slots.Skip(1).Where((s, i) => s > slots[i] + 1).Count();

    [Theory]
    [InlineData(0), InlineData(6), InlineData(12), InlineData(15), InlineData(17), InlineData(20), InlineData(26), InlineData(32)]
    public void A_jittered_30_fps_camera_gets_every_output_frame_at_any_phase_within_a_frame_of_its_time(double phaseMs)
    {
        var times = Camera(30, phaseMs, jitterMs: 8);
        var slots = FrameGrid.Fit(times, Fps);
        Assert.Equal(0, Collisions(slots));
        Assert.Equal(0, Gaps(slots));
        Assert.All(slots.Zip(times), x => Assert.InRange(x.First - x.Second * Fps, -1.0, 1.0));
    }

    [Fact]
    public void Taking_the_nearest_output_frame_loses_pictures_half_a_frame_out_of_phase()
    {
        // What the composition did before fitting: the failure the fitting exists for.
        var times = Camera(30, phaseMs: 16.7, jitterMs: 6);
        var nearest = times.Select(t => (long)Math.Round(t * Fps, MidpointRounding.AwayFromZero)).ToArray();
        Assert.True(Collisions(nearest) > times.Length / 10, $"{Collisions(nearest)} collisions of {times.Length}");
        Assert.Equal(0, Collisions(FrameGrid.Fit(times, Fps)));
    }

    [Fact]
    public void A_camera_slower_than_the_output_keeps_its_pictures_on_their_nearest_frames()
    {
        var times = Camera(18, phaseMs: 5, jitterMs: 4);
        var slots = FrameGrid.Fit(times, Fps);
        Assert.Equal(0, Collisions(slots));
        Assert.All(slots.Zip(times), x => Assert.InRange(x.First - x.Second * Fps, -0.76, 0.5));
    }

    [Fact]
    public void A_camera_faster_than_the_output_shares_frames_only_as_much_as_it_must_and_never_goes_backwards()
    {
        var times = Camera(60, phaseMs: 3, jitterMs: 2, seconds: 10);
        var slots = FrameGrid.Fit(times, Fps);
        Assert.All(slots.Skip(1).Zip(slots), x => Assert.True(x.First >= x.Second));
        int distinct = slots.Distinct().Count();
        Assert.InRange(distinct, 10 * Fps - 2, 10 * Fps + 2); // every output frame shows a picture, no more can
        Assert.All(slots.Zip(times), x => Assert.InRange(x.First - x.Second * Fps, -1.0, 1.0));
    }

    [Fact]
    public void A_pause_in_the_camera_keeps_its_empty_frames()
    {
        double[] times = [.. Enumerable.Range(0, 30).Select(k => k / 30.0), .. Enumerable.Range(45, 30).Select(k => k / 30.0)];
        var slots = FrameGrid.Fit(times, Fps);
        Assert.Equal(29, slots[29]);
        Assert.Equal(45, slots[30]);
    }
}
