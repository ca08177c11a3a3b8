using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>
/// A real coturn (Debian's turnserver) running the shipped deploy/coturn.conf, with only what a test machine must change:
/// the secret (the TurnApp's), the ports, loopback addresses, no TLS certificates, files in a temporary directory.
/// </summary>
public sealed class CoturnServer : IAsyncLifetime
{
    public const string Secret = "coturn-static-auth-secret";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"voki-coturn-{Guid.NewGuid():N}");
    private Process? _process;

    public IPEndPoint Endpoint { get; } = new(IPAddress.Loopback, FreePorts.Next());

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var replaced = new Dictionary<string, string>
        {
            ["static-auth-secret"] = $"static-auth-secret={Secret}",
            ["listening-port"] = $"listening-port={Endpoint.Port}",
            ["min-port"] = "min-port=50000",
            ["max-port"] = "max-port=50200",
        };
        string[] dropped = ["tls-listening-port", "cert", "pkey"];
        var shipped = await File.ReadAllLinesAsync(Path.Combine(NodeScripts.RepositoryRoot(), "deploy", "coturn.conf"));
        var config = shipped
            .Where(line => !dropped.Contains(line.Split('=')[0].Trim()))
            .Select(line => replaced.TryGetValue(line.Split('=')[0].Trim(), out var with) ? with : line)
            .Concat(["listening-ip=127.0.0.1", "relay-ip=127.0.0.1", "no-tls", "no-dtls", $"pidfile={_directory}/turnserver.pid",
                $"userdb={_directory}/turndb", $"log-file={_directory}/turn.log", "simple-log"]);
        var path = Path.Combine(_directory, "turnserver.conf");
        await File.WriteAllLinesAsync(path, config);
        _process = Process.Start(new ProcessStartInfo("turnserver", ["-c", path])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        }) ?? throw new InvalidOperationException("turnserver did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // Ready once an unauthenticated Allocate is answered with the 401 that names realm and nonce.
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var probe = new TurnClient(Endpoint);
            try
            {
                if (await probe.AllocateAsync("probe", "probe") == 401) return;
            }
            catch (OperationCanceledException) { }
            catch (System.Net.Sockets.SocketException) { }
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(20))
                throw new InvalidOperationException($"turnserver is not answering: {Log()}");
            await Task.Delay(200);
        }
    }

    public string Log() => File.Exists(Path.Combine(_directory, "turn.log")) ? File.ReadAllText(Path.Combine(_directory, "turn.log")) : "(no log)";

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.WaitForExit(5000);
        _process?.Dispose();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>
/// What a Voki TURN credential can do on the shipped coturn configuration: allocate a UDP relay, reach public peers, and
/// nothing else (no loopback, private or link-local peer, no TCP relay, no more than the per-user quota, not once expired).
/// </summary>
public sealed class CoturnTests(TurnApp app, CoturnServer turn) : IClassFixture<TurnApp>, IClassFixture<CoturnServer>
{
    private async Task<(string Username, string Credential)> CustomerCredentials()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var joined = await s.Join(await s.Department());
        var response = await s.Anonymous.As(joined["websocket_token"]!.GetValue<string>(), null).Get("/api/v1/call/turn-credentials");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        return (response.Data["username"]!.GetValue<string>(), response.Data["credential"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_voki_credential_allocates_a_udp_relay_that_reaches_public_peers_only()
    {
        var (username, credential) = await CustomerCredentials();
        using var client = new TurnClient(turn.Endpoint);
        Assert.True(await client.AllocateAsync(username, credential) == 0, $"allocation refused; coturn says: {turn.Log()}");
        Assert.True(await client.PermitAsync(username, credential, IPAddress.Parse("8.8.8.8")) == 0, $"a permission to a public peer was refused; coturn says: {turn.Log()}");
        foreach (var denied in new[] { "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0" })
            Assert.True(await client.PermitAsync(username, credential, IPAddress.Parse(denied)) == 403, $"a permission to {denied} was not refused with 403");
    }

    [Fact]
    public async Task There_is_no_tcp_relay()
    {
        var (username, credential) = await CustomerCredentials();
        using var client = new TurnClient(turn.Endpoint);
        Assert.Equal(442, await client.AllocateAsync(username, credential, TurnClient.Tcp));
    }

    [Fact]
    public async Task One_credential_holds_at_most_its_quota_of_allocations()
    {
        var (username, credential) = await CustomerCredentials();
        var clients = Enumerable.Range(0, 5).Select(_ => new TurnClient(turn.Endpoint)).ToList();
        try
        {
            var answers = new List<int>();
            foreach (var client in clients) answers.Add(await client.AllocateAsync(username, credential));
            Assert.Equal([0, 0, 0, 0, 486], answers);
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }

    [Fact]
    public async Task A_forged_or_expired_credential_allocates_nothing()
    {
        var (username, credential) = await CustomerCredentials();
        using (var forged = new TurnClient(turn.Endpoint))
            Assert.Equal(401, await forged.AllocateAsync(username, Convert.ToBase64String(RandomNumberGenerator.GetBytes(20))));
        var expiredName = $"{DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds()}:{username.Split(':')[1]}";
        var expiredPassword = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(CoturnServer.Secret), Encoding.UTF8.GetBytes(expiredName)));
        using var expired = new TurnClient(turn.Endpoint);
        Assert.Equal(401, await expired.AllocateAsync(expiredName, expiredPassword));
    }
}
