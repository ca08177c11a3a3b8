using CsCheck;

namespace Voki.Tests.Infrastructure;

/// <summary>
/// Property tests that check the same cases on every run: a fixed sequence of seeds, then every seed that ever
/// failed. Fresh random seeds with many more iterations are <c>./voki fuzz</c> (VOKI_FUZZ = the iteration multiplier),
/// which prints any failing seed for the test's list.
/// </summary>
public static class PropertyRuns
{
    private const uint Stream = 0x566F6B69; // "Voki"

    /// <summary>The fuzzing multiplier, when <c>./voki fuzz</c> runs the suite.</summary>
    public static int? FuzzFactor { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("VOKI_FUZZ"), out var factor) && factor > 0 ? factor : null;

    /// <param name="failedSeeds">CsCheck seeds that failed once (kept forever, checked first).</param>
    public static void Check<T>(this Gen<T> gen, Action<T> assert, int iterations, params string[] failedSeeds)
    {
        foreach (var seed in failedSeeds) gen.Sample(assert, seed: seed, iter: 1, threads: 1);
        if (FuzzFactor is { } factor)
        {
            // One thread, as in the fixed runs: a property may hold state meant for one thread (an SRTP context).
            gen.Sample(assert, iter: (long)iterations * factor, threads: 1);
            return;
        }
        for (ulong i = 0; i < (ulong)iterations; i++)
        {
            var pcg = new PCG(Stream, i);
            var seed = pcg.ToString();
            var value = gen.Generate(pcg, null, out _);
            try { assert(value); }
            catch (Exception)
            {
                // CsCheck replays the seed, shrinks the case and names the seed in its message.
                gen.Sample(assert, seed: seed, iter: 1, threads: 1);
                throw;
            }
        }
    }

    public static void Check<T1, T2>(this Gen<(T1, T2)> gen, Action<T1, T2> assert, int iterations, params string[] failedSeeds) =>
        gen.Check(t => assert(t.Item1, t.Item2), iterations, failedSeeds);

    public static void Check<T1, T2, T3, T4, T5>(this Gen<(T1, T2, T3, T4, T5)> gen, Action<T1, T2, T3, T4, T5> assert, int iterations, params string[] failedSeeds) =>
        gen.Check(t => assert(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5), iterations, failedSeeds);
}
