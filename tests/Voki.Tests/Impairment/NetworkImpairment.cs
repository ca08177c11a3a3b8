using System.Diagnostics;
using System.Globalization;

namespace Voki.Tests.Impairment;

/// <summary>
/// A lossy or thin network for the UDP flows of one port on this namespace's loopback (architecture.md, "Real networks
/// on this machine"): random loss from nftables (<c>numgen random mod 1000 &lt; N drop</c> on an input-hook chain in a
/// table of this impairment's own name) and bandwidth ceilings from a tc HTB tree on <c>lo</c> whose default class does
/// not throttle and whose capped classes drain into a short bfifo (about 170 ms at the cap, like a congested access
/// link). Only packets to or from <see cref="Port"/> are touched, so other tests in the namespace keep a clean
/// loopback; every rule is removed on dispose. The kernel here has no netem: no delay or jitter.
/// </summary>
/// <remarks>
/// Every packet on loopback passes the input hook once, so "toward" (<c>udp dport</c>) and "from" (<c>udp sport</c>)
/// never hit the same packet twice. It refuses to run outside a private network namespace (<c>VOKI_NETNS=1</c>, set
/// where <c>unshare -n</c> made one): these rules would otherwise change the host's loopback.
/// </remarks>
public sealed class NetworkImpairment : IAsyncDisposable
{
    /// <summary>The bfifo queue of a capped class holds this much of its rate.</summary>
    public static readonly TimeSpan CapQueue = TimeSpan.FromMilliseconds(170);

    private readonly string _table;
    private int _capClasses;
    private bool _tcRoot;
    private (int Toward, int From) _loss;

    /// <summary>The UDP port whose traffic is impaired: the SFU's media port, or one browser's port in a direct call.</summary>
    public int Port { get; }

    private NetworkImpairment(string name, int port)
    {
        _table = "voki_" + new string(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        Port = port;
    }

    public static bool InPrivateNamespace => Environment.GetEnvironmentVariable("VOKI_NETNS") == "1";

    /// <summary>An impairment of the flows of <paramref name="port"/> (nothing impaired yet), its nftables table named after <paramref name="name"/>.</summary>
    public static async Task<NetworkImpairment> Create(string name, int port)
    {
        if (!InPrivateNamespace)
            throw new InvalidOperationException(
                "Impairment changes nftables and tc rules on the loopback interface, so it runs only in a private network namespace: " +
                "`./voki test` runs the suite in one (unshare -n) and sets VOKI_NETNS=1; by hand: " +
                "unshare -n bash -c 'ip link set lo up; VOKI_NETNS=1 ./voki test --filter Impair'.");
        var impairment = new NetworkImpairment(name, port);
        await Run("nft", "delete", "table", "inet", impairment._table).ContinueWith(_ => { }); // a table left by a killed run
        await Run("nft", "add", "table", "inet", impairment._table);
        await Run("nft", "add", "chain", "inet", impairment._table, "input", "{ type filter hook input priority 0; policy accept; }");
        return impairment;
    }

    /// <summary>Drops each packet sent to <see cref="Port"/> with probability <paramref name="toward"/>, and each packet sent from it with <paramref name="from"/> (fractions).</summary>
    public async Task Loss(double toward, double from)
    {
        await Run("nft", "flush", "chain", "inet", _table, "input");
        _loss = (PerMille(toward), PerMille(from));
        if (_loss.Toward > 0) await DropRule("dport", _loss.Toward);
        if (_loss.From > 0) await DropRule("sport", _loss.From);
    }

    /// <summary>Drops each packet that <paramref name="fromPort"/> sends to <see cref="Port"/> with probability <paramref name="toward"/>: one participant's uplink, the rest clean.</summary>
    public async Task LossFrom(int fromPort, double toward)
    {
        await Run("nft", "flush", "chain", "inet", _table, "input");
        _loss = (0, 0);
        await Run("nft", "add", "rule", "inet", _table, "input", "udp", "dport", Port.ToString(CultureInfo.InvariantCulture),
            "udp", "sport", fromPort.ToString(CultureInfo.InvariantCulture),
            "numgen", "random", "mod", "1000", "<", PerMille(toward).ToString(CultureInfo.InvariantCulture), "drop");
    }

    /// <summary>
    /// <paramref name="loss"/> both ways for <paramref name="duration"/> (a radio fade, a busy Wi-Fi), then back to the loss
    /// set before. Returns once the burst is over.
    /// </summary>
    public async Task Burst(double loss, TimeSpan duration)
    {
        var before = _loss;
        await Loss(loss, loss);
        try { await Task.Delay(duration); }
        finally { await Loss(before.Toward / 1000.0, before.From / 1000.0); }
    }

    /// <summary>A ceiling of <paramref name="kbitPerSecond"/> on the packets sent from <see cref="Port"/> (to <paramref name="toPort"/> only, when given): one subscriber's thin downlink, or the node's.</summary>
    public Task CapFrom(int kbitPerSecond, int? toPort = null) =>
        Cap(kbitPerSecond, [toPort is { } to ? $"match ip sport {Port} 0xffff match ip dport {to} 0xffff" : $"match ip sport {Port} 0xffff"]);

    /// <summary>A ceiling of <paramref name="kbitPerSecond"/> on the packets sent to <see cref="Port"/> (from <paramref name="fromPort"/> only, when given).</summary>
    public Task CapToward(int kbitPerSecond, int? fromPort = null) =>
        Cap(kbitPerSecond, [fromPort is { } from ? $"match ip dport {Port} 0xffff match ip sport {from} 0xffff" : $"match ip dport {Port} 0xffff"]);

    /// <summary>One ceiling of <paramref name="kbitPerSecond"/> shared by the packets to and from <see cref="Port"/>.</summary>
    public Task CapBoth(int kbitPerSecond) =>
        Cap(kbitPerSecond, [$"match ip dport {Port} 0xffff", $"match ip sport {Port} 0xffff"]);

    /// <summary>Lifts every ceiling (the loss stays as set).</summary>
    public async Task Uncap()
    {
        if (_tcRoot) await Run("tc", "qdisc", "del", "dev", "lo", "root");
        _tcRoot = false;
        _capClasses = 0;
    }

    /// <summary>Removes the loss (ceilings stay as set).</summary>
    public Task NoLoss() => Loss(0, 0);

    private async Task Cap(int kbitPerSecond, string[] matches)
    {
        if (!_tcRoot)
        {
            // The default class is far above anything loopback carries in a test: only the classes below throttle.
            await Run("tc", "qdisc", "replace", "dev", "lo", "root", "handle", "1:", "htb", "default", "10");
            await Run("tc", "class", "add", "dev", "lo", "parent", "1:", "classid", "1:10", "htb", "rate", "100gbit", "quantum", "200000");
            _tcRoot = true;
        }
        int minor = 20 + _capClasses++;
        int queueBytes = Math.Max(3000, (int)(kbitPerSecond * 1000L / 8 * CapQueue.TotalMilliseconds / 1000));
        await Run("tc", "class", "add", "dev", "lo", "parent", "1:", "classid", $"1:{minor}", "htb",
            "rate", $"{kbitPerSecond}kbit", "ceil", $"{kbitPerSecond}kbit", "quantum", "1514");
        await Run("tc", "qdisc", "add", "dev", "lo", "parent", $"1:{minor}", "handle", $"{minor}:", "bfifo", "limit", queueBytes.ToString(CultureInfo.InvariantCulture));
        foreach (var match in matches)
            await Run(["tc", "filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
                "match", "ip", "protocol", "17", "0xff", .. match.Split(' '), "flowid", $"1:{minor}"]);
    }

    private Task DropRule(string direction, int perMille) =>
        Run("nft", "add", "rule", "inet", _table, "input", "udp", direction, Port.ToString(CultureInfo.InvariantCulture),
            "numgen", "random", "mod", "1000", "<", perMille.ToString(CultureInfo.InvariantCulture), "drop");

    private static int PerMille(double fraction) => (int)Math.Round(Math.Clamp(fraction, 0, 1) * 1000);

    /// <summary>What the rules dropped and queued so far, for a test's output.</summary>
    public async Task<string> Describe()
    {
        var nft = await Output("nft", "list", "table", "inet", _table);
        var tc = _tcRoot ? await Output("tc", "-s", "class", "show", "dev", "lo") : "";
        return nft + tc;
    }

    public async ValueTask DisposeAsync()
    {
        await Uncap();
        await Run("nft", "delete", "table", "inet", _table);
    }

    private static Task Run(params string[] command) => Output(command);

    private static async Task<string> Output(params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command.Skip(1)) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot run {command[0]}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"`{string.Join(' ', command)}` exited {process.ExitCode}: {(await stderr).Trim()}" +
                (command[0] == "nft" ? " (the Debian package nftables provides nft)" : ""));
        return await stdout;
    }
}
