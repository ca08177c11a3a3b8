using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Voki.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Voki.Tests.Cluster;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunScriptCollection
{
    public const string Name = "run-script";
}

/// <summary>
/// `./voki run` as an operator uses it: it starts a private PostgreSQL and a node that reports ready,
/// and Ctrl-C (SIGINT to its process group, as a terminal sends it) stops both.
/// The script runs the build this suite was made from (VOKI_SKIP_BUILD=1, VOKI_CONFIGURATION) instead of
/// building Release itself; everything else is the script's own path.
/// </summary>
[Collection(RunScriptCollection.Name)]
public sealed class RunScriptTests(ITestOutputHelper output)
{
    private const int SIGINT = 2, SIGKILL = 9;

    [Fact]
    public async Task Run_starts_a_ready_node_and_ctrl_c_stops_it_and_its_postgresql()
    {
        var pgDir = Path.Combine(Path.GetTempPath(), $"voki-run-test-{Guid.NewGuid():N}");
        var (pgPort, httpPort) = (FreePorts.Next(), FreePorts.Next());
        // Its own process group with SIGINT at its default, like a terminal's foreground job. The test host
        // itself runs with SIGINT ignored when the suite was started from a non-interactive shell's
        // background job; a child inherits that, and bash cannot trap a signal ignored on entry.
        var start = new ProcessStartInfo("setsid")
        {
            ArgumentList = { "env", "--default-signal=INT", Path.Combine(Repository.Root, "voki"), "run" },
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["VOKI_PG_PORT"] = pgPort.ToString();
        start.Environment["VOKI_PG_DIR"] = pgDir;
        start.Environment["VOKI_HTTP_PORT"] = httpPort.ToString();
        start.Environment["VOKI_SILO_PORT"] = FreePorts.Next().ToString();
        start.Environment["VOKI_MEDIA_PORT"] = "0";
        start.Environment["VOKI_SKIP_BUILD"] = "1";
        start.Environment["VOKI_CONFIGURATION"] = Repository.Configuration;

        var log = new StringBuilder();
        using var script = Process.Start(start)!;
        script.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        script.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        script.BeginOutputReadLine();
        script.BeginErrorReadLine();
        string Log() { lock (log) return log.ToString(); }
        try
        {
            // setsid makes the script its own group leader a moment after it starts.
            var group = getpgid(script.Id);
            for (var i = 0; i < 100 && group != script.Id && !script.HasExited; i++) { await Task.Delay(20); group = getpgid(script.Id); }
            Assert.Equal(script.Id, group);

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(5) };
            var clock = Stopwatch.StartNew();
            (HttpStatusCode Status, string Body)? ready = null;
            while (clock.Elapsed < TimeSpan.FromMinutes(3) && !script.HasExited)
            {
                try
                {
                    var response = await http.GetAsync("/readyz");
                    ready = (response.StatusCode, await response.Content.ReadAsStringAsync());
                    if (ready.Value.Status == HttpStatusCode.OK) break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
                await Task.Delay(250);
            }
            Assert.True(ready is { Status: HttpStatusCode.OK }, $"/readyz never answered 200 (last: {ready}); script output:\n{Log()}");
            Assert.Equal("Healthy", ready!.Value.Body);
            output.WriteLine($"/readyz 200 Healthy {clock.Elapsed.TotalSeconds:F1} s after ./voki run");
            Assert.True(PortOpen(pgPort), "the script's PostgreSQL is not listening");

            clock.Restart();
            Assert.Equal(0, kill(-group, SIGINT));
            var exited = await WaitForExit(script, TimeSpan.FromSeconds(60));
            Assert.True(exited, $"./voki run still running 60 s after SIGINT; output:\n{Log()}");
            output.WriteLine($"./voki run exited {script.ExitCode} {clock.Elapsed.TotalSeconds:F1} s after SIGINT");
            Assert.Equal(0, script.ExitCode);
            Assert.False(PortOpen(pgPort), $"PostgreSQL still listens on {pgPort} after ./voki run ended; output:\n{Log()}");
            Assert.False(PortOpen(httpPort), "the node still listens after ./voki run ended");
            Assert.Contains("stopping PostgreSQL", Log());
        }
        finally
        {
            if (!script.HasExited)
            {
                kill(-getpgid(script.Id), SIGKILL);
                await WaitForExit(script, TimeSpan.FromSeconds(10));
            }
            StopPostgres(pgDir);
            if (Directory.Exists(pgDir)) Directory.Delete(pgDir, recursive: true);
        }
    }

    private static async Task<bool> WaitForExit(Process process, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(cancel.Token); return true; }
        catch (OperationCanceledException) { return false; }
    }

    private static bool PortOpen(int port)
    {
        using var client = new TcpClient();
        try { client.Connect(IPAddress.Loopback, port); return true; }
        catch (SocketException) { return false; }
    }

    /// <summary>Leaves no PostgreSQL behind when the test failed half-way.</summary>
    private static void StopPostgres(string dir)
    {
        if (!File.Exists(Path.Combine(dir, "postmaster.pid"))) return;
        var stop = "/usr/lib/postgresql/15/bin/pg_ctl -D \"$0\" -m immediate -w stop";
        var start = Environment.UserName == "root"
            ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", "bash", "-c", stop, dir])
            : new ProcessStartInfo("bash", ["-c", stop, dir]);
        using var process = Process.Start(start)!;
        process.WaitForExit(30_000);
    }

    [DllImport("libc", SetLastError = true)] private static extern int kill(int pid, int signal);
    [DllImport("libc", SetLastError = true)] private static extern int getpgid(int pid);
}
