using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Voki.Bench.Membership;

/// <summary>
/// One node (the built Voki.Api.dll, Release, as `./voki run` starts it) in a process of its own, so it can be
/// crashed for real (SIGKILL) and so the silo that Orleans shuts down when it is declared dead really goes away.
/// Its output goes to a log file; the membership lines are counted from there.
/// </summary>
public sealed partial class ClusterNode
{
    /// <summary>The benchmark's operator credential: its tenant needs a paid plan, which signup never gives.</summary>
    public static readonly string OperatorToken = "bench-operator-" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

    private static int _nextPort = 21000;
    private readonly Process _process;
    private readonly StreamWriter _log;

    public string Name { get; }
    public Uri BaseAddress { get; }
    public int SiloPort { get; }
    public string LogPath { get; }
    public bool Killed { get; private set; }
    public bool HasExited => _process.HasExited;
    /// <summary>The node's process, whose CPU time and peak memory bench/calls reads from /proc.</summary>
    public int ProcessId => _process.Id;
    public DateTime StartedAt { get; } = DateTime.UtcNow;

    private ClusterNode(string name, Process process, Uri baseAddress, int siloPort, string logPath, StreamWriter log)
    {
        Name = name;
        _process = process;
        BaseAddress = baseAddress;
        SiloPort = siloPort;
        LogPath = logPath;
        _log = log;
    }

    public static ClusterNode Start(string name, string root, string connectionString, string clusterId, string logPath,
        IReadOnlyDictionary<string, string> settings)
    {
        var dll = Path.Combine(root, "src", "Voki.Api", "bin", "Release", "net10.0", "Voki.Api.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("build the solution in Release first (bench/membership/run.sh does)", dll);
        // Fresh ports for every start: a restarted node never waits for its predecessor's sockets.
        var http = Interlocked.Add(ref _nextPort, 3);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--contentRoot", Path.Combine(root, "src", "Voki.Api") },
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Voki"] = connectionString,
            ["Node__ClusterId"] = clusterId,
            ["Node__SiloPort"] = (http + 1).ToString(),
            ["Node__GatewayPort"] = (http + 2).ToString(),
            ["Media__Port"] = "0",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{http}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Auth__SigningKey"] = "bench-membership-signing-key-0123456789-0123456789",
            ["RateLimits__AuthPerMinute"] = "100000000",
            ["RateLimits__PublicPerMinute"] = "100000000",
            ["Operator__Token"] = OperatorToken,
            ["Recordings__Root"] = Path.Combine(Path.GetDirectoryName(logPath)!, "recordings-" + name),
            ["Recordings__NodeUrl"] = $"http://127.0.0.1:{http}",
            ["Logging__LogLevel__Default"] = "Warning",
            // Probes missed, votes, evictions, suppressed votes and local-health complaints are logged here.
            ["Logging__LogLevel__Orleans.Runtime.MembershipService"] = "Information",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
        };
        foreach (var (key, value) in settings) environment[key] = value;
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        log.WriteLine($"=== {DateTime.UtcNow:O} {name} started: pid {process.Id}, HTTP {http}, silo port {http + 1}");
        var node = new ClusterNode(name, process, new Uri($"http://127.0.0.1:{http}"), http + 1, logPath, log);
        process.OutputDataReceived += (_, e) => node.Append(e.Data);
        process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    private readonly List<string> _membershipLines = [];

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log)
        {
            _log.WriteLine(line);
            if (MembershipLine().IsMatch(line)) _membershipLines.Add(line);
        }
    }

    /// <summary>Orleans' membership lines (one line each: the node logs with the simple formatter, single-line).</summary>
    public IReadOnlyList<string> MembershipLines { get { lock (_log) return _membershipLines.ToList(); } }

    public int Count(Regex pattern)
    {
        lock (_log) return _membershipLines.Count(pattern.IsMatch);
    }

    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} (log: {LogPath})");
            try
            {
                if ((await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(250);
        }
        throw new TimeoutException($"{Name} not ready after {timeout} (log: {LogPath})");
    }

    /// <summary>SIGKILL: no shutdown code runs, the kernel resets its connections.</summary>
    public void Crash()
    {
        Killed = true;
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit();
        Note("killed (SIGKILL)");
    }

    /// <summary>SIGSTOP: the process stops answering but its sockets stay open, as a frozen machine's would.</summary>
    public void Freeze()
    {
        Note("frozen (SIGSTOP)");
        Signal("STOP");
    }

    private void Signal(string name)
    {
        using var kill = Process.Start("kill", [$"-{name}", _process.Id.ToString()]);
        kill.WaitForExit();
    }

    /// <summary>SIGTERM (a graceful shutdown), then SIGKILL after 20 s.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        Killed = true;
        _ = Process.Start("kill", ["-TERM", _process.Id.ToString()]);
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try { await _process.WaitForExitAsync(grace.Token); }
        catch (OperationCanceledException) { Crash(); }
    }

    public void Note(string what)
    {
        lock (_log) _log.WriteLine($"=== {DateTime.UtcNow:O} {Name} {what}");
    }

    [GeneratedRegex(@"Orleans\.Runtime\.MembershipService")]
    private static partial Regex MembershipLine();
}
