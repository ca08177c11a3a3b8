namespace Voki.Media.Recording;

/// <summary>
/// A track's video frames fitted to the recording's output frames: each on an output frame of its own wherever one is
/// free within one frame of its own time. At each of its frames the composition shows the picture nearest in time, and
/// a camera stamps its pictures with its capture clock's jitter (a few milliseconds, more on a busy sender). Where a
/// track's frames fall near the middle between two output frames (a matter of the call's phase, so one call in several),
/// that jitter puts two pictures on one output frame and none on the next: a lost picture every few frames while the
/// live receiver showed them all. Fitted, a picture is shown at most one output frame from its own time (at 30 fps,
/// 33 ms, as the phase already moves it) and only a camera faster than the output loses pictures.
/// </summary>
public static class FrameGrid
{
    /// <summary>How far past the half-way point (in output frames) a picture is taken for one a jittered clock stamped late.</summary>
    private const double JitterReach = 0.75;

    /// <summary>
    /// The output frame (time × <paramref name="fps"/>) for each of <paramref name="seconds"/>, frame times in order:
    /// its nearest, else one either side that is free and within a frame of its time (the earlier preferred), else the
    /// same as the frame before (the earlier of the two pictures is then not shown). A picture just past the half-way
    /// point to the frame after a free one takes the free one (jitter would leave it empty, the picture before shown
    /// twice); a longer pause, or a camera slower than the output, keeps its empty frames. Never decreasing.
    /// </summary>
    public static long[] Fit(ReadOnlySpan<double> seconds, int fps)
    {
        var slots = new long[seconds.Length];
        for (int i = 0; i < seconds.Length; i++)
        {
            long nearest = (long)Math.Round(seconds[i] * fps, MidpointRounding.AwayFromZero);
            slots[i] = nearest;
            if (i == 0) continue;
            if (nearest == slots[i - 1] + 2 && seconds[i] * fps - (slots[i - 1] + 1) < JitterReach)
            {
                slots[i] = slots[i - 1] + 1;
                continue;
            }
            if (nearest > slots[i - 1]) continue;
            bool earlierFree = i == 1 || slots[i - 2] < slots[i - 1] - 1;
            if (nearest == slots[i - 1] && earlierFree && seconds[i - 1] * fps - (slots[i - 1] - 1) <= 1)
                slots[i - 1]--; // the picture before moves back onto the free frame
            else if (slots[i - 1] + 1 - seconds[i] * fps <= 1)
                slots[i] = slots[i - 1] + 1; // this picture moves on to the next frame
            else
                slots[i] = slots[i - 1]; // faster than the output: two pictures on one frame
        }
        return slots;
    }
}
