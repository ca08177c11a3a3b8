using System.Diagnostics;

namespace Voki.Tests.Impairment;

/// <summary>How long after an impairment lifts a receiver is back to what its publisher sends (issue 9: within 10 s of a cap lifting).</summary>
public static class Recovery
{
    /// <summary>
    /// How long after now <paramref name="receiver"/> decodes the full frame rate (≥ 90 % of what <paramref name="publisher"/>
    /// encodes, over 2 s) at the publisher's full width again; null if not within <paramref name="limit"/>.
    /// </summary>
    public static async Task<TimeSpan?> Measure(Func<Task<VideoStatsSample>> publisher, Func<Task<VideoStatsSample>> receiver, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        var samples = new List<(VideoStatsSample Sent, VideoStatsSample Received)>();
        while (clock.Elapsed < limit + TimeSpan.FromSeconds(1))
        {
            samples.Add((await publisher(), await receiver()));
            if (samples.Count >= 3)
            {
                var (sentThen, receivedThen) = samples[^3];
                var (sentNow, receivedNow) = samples[^1];
                var sent = SentVideo.Between(sentThen, sentNow);
                var received = ReceivedVideo.Between(receivedThen, receivedNow);
                if (received.DecodedFps >= 0.9 * sent.EncodedFps && received.FrameWidth >= sent.FrameWidth) return clock.Elapsed;
            }
            await Task.Delay(1000);
        }
        return null;
    }
}
