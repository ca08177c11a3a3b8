using System.Diagnostics;

namespace Voki.Tests.Infrastructure;

/// <summary>Waiting for a condition instead of a clock: polls until it holds, failing with what was awaited after a bound.</summary>
public static class Eventually
{
    public static Task Holds(Func<bool> condition, TimeSpan timeout, string? what = null) =>
        Holds(() => Task.FromResult(condition()), timeout, what);

    public static async Task Holds(Func<Task<bool>> condition, TimeSpan timeout, string? what = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"{what ?? "condition"} not met within {timeout.TotalSeconds:0.#} s");
            await Task.Delay(20);
        }
    }
}
