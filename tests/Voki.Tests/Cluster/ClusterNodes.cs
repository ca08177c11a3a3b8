using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Cluster;

/// <summary>Settings every node of one test cluster shares, so a token from one node is good on the others.</summary>
public static class ClusterSettings
{
    public static Dictionary<string, string> For(string connectionString, string clusterId) => new()
    {
        ["ConnectionStrings:Voki"] = connectionString,
        ["Node:ClusterId"] = clusterId,
        ["Auth:PasswordIterations"] = "1000",
        ["Auth:SigningKey"] = "test-signing-key-0123456789-0123456789-0123456789",
        ["RateLimits:AuthPerMinute"] = "100000",
        ["RateLimits:PublicPerMinute"] = "100000",
        ["RateLimits:SignupsPerHour"] = "100000",
        ["Operator:Token"] = VokiApp.OperatorToken,
    };
}

/// <summary>A node (API + silo) inside the test process, joining the cluster of <paramref name="clusterId"/>.</summary>
public sealed class InProcessNode(string connectionString, string clusterId, IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<Program>
{
    /// <summary>What this node logged (Information and up).</summary>
    public LogCapture Log { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.ConfigureLogging(logging => logging.AddProvider(Log));
        builder.UseEnvironment("Development");
        // A free media port: the default (40000) is taken by any other node the suite runs at the same time.
        builder.UseSetting("Media:Port", "0");
        foreach (var (key, value) in ClusterSettings.For(connectionString, clusterId)) builder.UseSetting(key, value);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) builder.UseSetting(key, value);
        builder.UseSetting("Node:SiloPort", FreePorts.Next().ToString());
    }
}

/// <summary>
/// A node in a process of its own (the built Voki.Api.dll, as `./voki run` starts it), so a test can
/// crash it for real: SIGKILL, no shutdown code runs, the kernel resets its connections.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    public Uri BaseAddress { get; }
    public int ProcessId => _process.Id;

    private NodeProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    /// <param name="settings">Further configuration (e.g. "Recordings:Root"), passed as environment variables.</param>
    public static NodeProcess Start(string connectionString, string clusterId, IReadOnlyDictionary<string, string>? settings = null)
    {
        var root = Repository.Root;
        var dll = Path.Combine(root, "src", "Voki.Api", "bin", Repository.Configuration, "net10.0", "Voki.Api.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException("Build the solution first (./voki test does)", dll);
        var port = FreePorts.Next();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "--contentRoot", Path.Combine(root, "src", "Voki.Api") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in ClusterSettings.For(connectionString, clusterId)) start.Environment[key.Replace(":", "__")] = value;
        start.Environment["Node__SiloPort"] = FreePorts.Next().ToString();
        start.Environment["Media__Port"] = "0";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Orleans.Runtime.Silo"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) start.Environment[key.Replace(":", "__")] = value;
        var process = Process.Start(start)!;
        var node = new NodeProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => node.Append(e.Data);
        process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
        TestLog.Write($"node {BaseAddress.Port}", line);
    }

    /// <summary>Waits until /readyz answers 200: PostgreSQL reachable and the silo an active member.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"node exited with {_process.ExitCode}:\n{Log}");
            try
            {
                if ((await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK) return;
            }
            // Not listening yet, or (a node starting on a loaded machine) slower than one request's 5 s: ask again.
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"node not ready after {timeout}:\n{Log}");
    }

    /// <summary>SIGKILL: the process ends at once, without leaving the cluster.</summary>
    public void Crash()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGSTOP: the process stops answering but its sockets stay open, as a frozen machine's or a long GC pause's would.</summary>
    public void Freeze() => Signal("STOP");

    /// <summary>SIGCONT: a frozen process runs again.</summary>
    public void Thaw() => Signal("CONT");

    public bool HasExited => _process.HasExited;

    private void Signal(string name)
    {
        using var kill = Process.Start("kill", [$"-{name}", _process.Id.ToString()])!;
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{name} {_process.Id} failed");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) Crash();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}

public static class Repository
{
    /// <summary>The checkout: the folder above the test assembly that holds Voki.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: the configuration this test assembly was built in, so child processes run the same build.</summary>
    public static string Configuration { get; } =
        typeof(Repository).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Voki.sln"))) return dir.FullName;
        throw new InvalidOperationException("Voki.sln not found above " + AppContext.BaseDirectory);
    }
}
