using Voki.Tests.Impairment;

namespace Voki.Bench.Impairment;

/// <summary>
/// One network condition, as it is set for a call through Voki (rules on the node's media port; the two browsers'
/// ports for per-subscriber ceilings) and for the direct connection (rules on the port of one of the two browsers, so
/// "toward" is one direction of the pair and "from" the other). It holds for the whole measured stretch. A condition that
/// <see cref="Lifts"/> ends with the stretch, and how long each receiver then takes to be back to full frame rate and
/// resolution is measured too (issue 9: within 10 s of a cap lifting).
/// </summary>
public sealed record Condition(string Name, string Direct, Func<NetworkImpairment, (int Customer, int Attendant), TimeSpan, Task> ThroughVoki,
    Func<NetworkImpairment, TimeSpan, Task> Directly, bool Lifts = false)
{
    public static readonly IReadOnlyList<Condition> All =
    [
        new("no impairment", "no impairment", (_, _, t) => Task.Delay(t), (_, t) => Task.Delay(t)),
        Loss("3 % random loss, both directions", 0.03, 0.03),
        Loss("3 % loss on packets to the SFU only", 0.03, 0),
        Loss("3 % loss on packets from the SFU only", 0, 0.03),
        new("the node's outgoing media capped at 1.4 Mbit/s", "all UDP between the browsers capped at 1.4 Mbit/s",
            async (net, _, t) => { await net.CapFrom(1400); await Task.Delay(t); await net.Uncap(); },
            async (net, t) => { await net.CapBoth(1400); await Task.Delay(t); await net.Uncap(); }, Lifts: true),
        new("700 kbit/s to each subscriber", "700 kbit/s to each browser",
            async (net, ports, t) => { await net.CapFrom(700, ports.Customer); await net.CapFrom(700, ports.Attendant); await Task.Delay(t); await net.Uncap(); },
            async (net, t) => { await net.CapToward(700); await net.CapFrom(700); await Task.Delay(t); await net.Uncap(); }, Lifts: true),
        new("10 % loss both directions for 5 s (from 5 s to 10 s)", "the same burst on every packet between the browsers",
            (net, _, t) => Burst(net, t), (net, t) => Burst(net, t)),
    ];

    private static Condition Loss(string name, double toward, double from) =>
        new(name, "3 % loss on every packet between the browsers",
            async (net, _, t) => { await net.Loss(toward, from); await Task.Delay(t); await net.NoLoss(); },
            async (net, t) => { await net.Loss(0.03, 0.03); await Task.Delay(t); await net.NoLoss(); });

    private static async Task Burst(NetworkImpairment net, TimeSpan window)
    {
        await Task.Delay(TimeSpan.FromSeconds(5));
        await net.Burst(0.10, TimeSpan.FromSeconds(5));
        await Task.Delay(window - TimeSpan.FromSeconds(10));
    }
}
