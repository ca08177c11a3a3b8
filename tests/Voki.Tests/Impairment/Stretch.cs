namespace Voki.Tests.Impairment;

/// <summary>One direction of a two-party call over a stretch: what the publisher encoded and what the other side decoded of it.</summary>
public sealed record Direction(string Publisher, string Receiver, SentVideo Sent, ReceivedVideo Received);

/// <summary>
/// A stretch of a two-party call between two getStats samples of each side, with the capture-clock instants it
/// spans (to find the same stretch in the recording). In between, each side is sampled every
/// <see cref="SampleInterval"/> to find the stalls of its received video (see <see cref="ReceivedVideo.StalledSeconds"/>).
/// </summary>
public sealed record Stretch(long FromUnixMs, long ToUnixMs, IReadOnlyList<(string Participant, VideoStatsSample Start, VideoStatsSample End)> Sides)
{
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>A receiver whose decoded frames do not advance for longer than this is stalled, all that time.</summary>
    public static readonly TimeSpan Stall = TimeSpan.FromMilliseconds(500);

    /// <summary>Per participant, (sample time, frames decoded of the received video) from the start to the end sample.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<(long At, long Frames)>> Decoded { get; init; } = new Dictionary<string, IReadOnlyList<(long, long)>>();

    public double Seconds => (ToUnixMs - FromUnixMs) / 1000.0;

    public static Task<Stretch> Measure(TimeSpan duration, params (string Participant, Func<Task<VideoStatsSample>> Sample)[] sides) =>
        Measure(() => Task.Delay(duration), sides);

    /// <summary>Samples every side, runs <paramref name="during"/>, samples them again.</summary>
    public static async Task<Stretch> Measure(Func<Task> during, params (string Participant, Func<Task<VideoStatsSample>> Sample)[] sides)
    {
        long from = Now();
        var start = await Task.WhenAll(sides.Select(s => s.Sample()));
        var series = sides.Select((_, i) => new List<(long, long)> { Point(start[i]) }).ToArray();
        using var stop = new CancellationTokenSource();
        // One loop per side, so that a page slow to answer does not leave the other unsampled.
        var sampling = sides.Select((side, i) => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { await Task.Delay(SampleInterval, stop.Token); }
                catch (OperationCanceledException) { break; }
                series[i].Add(Point(await side.Sample()));
            }
        })).ToList();
        await during();
        stop.Cancel();
        await Task.WhenAll(sampling);
        var end = await Task.WhenAll(sides.Select(s => s.Sample()));
        for (int i = 0; i < end.Length; i++) series[i].Add(Point(end[i]));
        return new Stretch(from, Now(), sides.Select((s, i) => (s.Participant, start[i], end[i])).ToList())
        {
            Decoded = sides.Select((s, i) => (s.Participant, (IReadOnlyList<(long, long)>)series[i])).ToDictionary(),
        };
    }

    /// <summary>All frames decoded so far, over every inbound video (a renegotiation may replace the stream).</summary>
    private static (long, long) Point(VideoStatsSample sample) => (sample.At, sample.Inbound.Sum(i => i.FramesDecoded));

    /// <summary>
    /// The time the decoded frames were seen standing still for longer than <see cref="Stall"/>, counted whole, including
    /// a stall still going at the end (which the browsers' totalFreezesDuration counts only once a frame ends it, if
    /// ever). A stall is measured from the last sample that saw frames advance to the last that saw them still, so a
    /// late sample never makes one up.
    /// </summary>
    public static double Stalled(IReadOnlyList<(long At, long Frames)> series)
    {
        double stalled = 0;
        long lastAdvance = series.Count > 0 ? series[0].At : 0, lastStill = lastAdvance;
        void Close()
        {
            if (lastStill - lastAdvance > Stall.TotalMilliseconds) stalled += (lastStill - lastAdvance) / 1000.0;
        }
        for (int i = 1; i < series.Count; i++)
        {
            if (series[i].Frames > series[i - 1].Frames)
            {
                Close();
                lastAdvance = lastStill = series[i].At;
            }
            else lastStill = series[i].At;
        }
        Close();
        return stalled;
    }

    /// <summary>This stretch and the one right after it, as one.</summary>
    public Stretch Then(Stretch later) =>
        new(FromUnixMs, later.ToUnixMs, Sides.Select(s => (s.Participant, s.Start, later.Sides.Single(l => l.Participant == s.Participant).End)).ToList())
        {
            Decoded = Decoded.ToDictionary(d => d.Key, d => (IReadOnlyList<(long, long)>)[.. d.Value, .. later.Decoded.GetValueOrDefault(d.Key) ?? []]),
        };

    /// <summary>The video <paramref name="publisher"/> sent and what the other side of the call decoded of it.</summary>
    public Direction Direction(string publisher)
    {
        var from = Sides.Single(s => s.Participant == publisher);
        var to = Sides.Single(s => s.Participant != publisher);
        var received = ReceivedVideo.Between(to.Start, to.End);
        if (Decoded.TryGetValue(to.Participant, out var series)) received = received with { StalledSeconds = Stalled(series) };
        return new Direction(publisher, to.Participant, SentVideo.Between(from.Start, from.End), received);
    }

    public IEnumerable<Direction> Directions => Sides.Select(s => Direction(s.Participant));

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
