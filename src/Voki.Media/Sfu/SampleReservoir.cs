namespace Voki.Media.Sfu;

/// <summary>
/// The mean of every sample and percentiles of a uniform random sample of them (Vitter's algorithm R), so a call's
/// per-second figures summarise in bounded memory however long it lasts. Not thread-safe: its owner locks.
/// </summary>
public sealed class SampleReservoir(int capacity = 3600)
{
    private readonly List<double> _kept = new(Math.Min(capacity, 256));
    private double _sum;

    public long Count { get; private set; }

    public void Add(double sample)
    {
        Count++;
        _sum += sample;
        if (_kept.Count < capacity) _kept.Add(sample);
        else if (Random.Shared.NextInt64(Count) is var slot && slot < capacity) _kept[(int)slot] = sample;
    }

    public double? Mean => Count == 0 ? null : _sum / Count;

    /// <summary>The <paramref name="percentile"/> (0–100) by nearest rank; null without samples.</summary>
    public double? Percentile(double percentile)
    {
        if (_kept.Count == 0) return null;
        var sorted = _kept.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
