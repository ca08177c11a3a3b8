namespace Voki.Tests.Impairment;

/// <summary>One direction of a two-party call over a stretch: what the publisher encoded and what the other side decoded of it.</summary>
public sealed record Direction(string Publisher, string Receiver, SentVideo Sent, ReceivedVideo Received);

/// <summary>
/// A stretch of a two-party call between two getStats samples of each side, with the capture-clock instants it
/// spans (to find the same stretch in the recording).
/// </summary>
public sealed record Stretch(long FromUnixMs, long ToUnixMs, IReadOnlyList<(string Participant, VideoStatsSample Start, VideoStatsSample End)> Sides)
{
    public double Seconds => (ToUnixMs - FromUnixMs) / 1000.0;

    public static Task<Stretch> Measure(TimeSpan duration, params (string Participant, Func<Task<VideoStatsSample>> Sample)[] sides) =>
        Measure(() => Task.Delay(duration), sides);

    /// <summary>Samples every side, runs <paramref name="during"/>, samples them again.</summary>
    public static async Task<Stretch> Measure(Func<Task> during, params (string Participant, Func<Task<VideoStatsSample>> Sample)[] sides)
    {
        long from = Now();
        var start = await Task.WhenAll(sides.Select(s => s.Sample()));
        await during();
        var end = await Task.WhenAll(sides.Select(s => s.Sample()));
        return new Stretch(from, Now(), sides.Select((s, i) => (s.Participant, start[i], end[i])).ToList());
    }

    /// <summary>This stretch and the one right after it, as one.</summary>
    public Stretch Then(Stretch later) =>
        new(FromUnixMs, later.ToUnixMs, Sides.Select(s => (s.Participant, s.Start, later.Sides.Single(l => l.Participant == s.Participant).End)).ToList());

    /// <summary>The video <paramref name="publisher"/> sent and what the other side of the call decoded of it.</summary>
    public Direction Direction(string publisher)
    {
        var from = Sides.Single(s => s.Participant == publisher);
        var to = Sides.Single(s => s.Participant != publisher);
        return new Direction(publisher, to.Participant, SentVideo.Between(from.Start, from.End), ReceivedVideo.Between(to.Start, to.End));
    }

    public IEnumerable<Direction> Directions => Sides.Select(s => Direction(s.Participant));

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
