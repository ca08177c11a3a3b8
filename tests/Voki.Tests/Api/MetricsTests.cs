using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>
/// A production node in a process of its own (the built Voki.Api.dll) whose /metrics takes its own scrape credential.
/// Its own process, as in production: in the test process every node's meters share names, and OpenTelemetry stops
/// a meter's instruments in every provider when one node's host disposes its copy (opentelemetry-dotnet#6412).
/// </summary>
public sealed class MetricsNode : IAsyncLifetime
{
    public const string Token = "test-metrics-token-0123456789-0123456789";
    public const int TranscriptionSlots = 3;
    public const int CompositionSlots = 2;

    private TestDatabase? _database;
    private Voki.Tests.Cluster.NodeProcess? _node;
    private readonly string _recordings = Path.Combine(Path.GetTempPath(), $"voki-test-recordings-{Guid.NewGuid():N}");

    /// <summary>Stands in for an OpenTelemetry collector: the node pushes OTLP (HTTP, protobuf) to it every second.</summary>
    public WebhookReceiver Collector { get; private set; } = null!;

    public Uri BaseAddress => _node!.BaseAddress;
    public int Port => BaseAddress.Port;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        Collector = await WebhookReceiver.StartAsync();
        _node = Voki.Tests.Cluster.NodeProcess.Start(_database.ConnectionString, _database.Name, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Recordings:Root"] = _recordings,
            ["Metrics:Token"] = Token,
            ["Transcription:MaxConcurrentJobs"] = TranscriptionSlots.ToString(),
            ["Recordings:CompositionSlots"] = CompositionSlots.ToString(),
            ["Metrics:OtlpEndpoint"] = Collector.Url("/v1/metrics"),
            ["Metrics:OtlpProtocol"] = "HttpProtobuf",
            ["Metrics:OtlpIntervalSeconds"] = "1",
            ["Webhooks:AllowPrivateTargets"] = "true",
            ["Webhooks:FirstRetryDelay"] = "00:00:00.200",
            ["Webhooks:MaxRetryDelay"] = "00:00:00.500",
            ["Webhooks:PollInterval"] = "00:00:00.100",
        });
        await _node.WaitReadyAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        if (_node is not null) await _node.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
        if (Collector is not null) await Collector.DisposeAsync();
        try { Directory.Delete(_recordings, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public async Task<HttpResponseMessage> Scrape(string? bearer)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseAddress, "/metrics"));
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return await http.SendAsync(request);
    }
}

/// <summary>
/// Issue 13 item 2: a node's metrics in Prometheus' text format on /metrics, for the operator only (Metrics:Token,
/// a bearer Prometheus' scrape configuration carries), with Voki's own instruments beside ASP.NET Core's, the
/// runtime's, Orleans' and Npgsql's, and nothing that names a tenant.
/// </summary>
public sealed class MetricsTests(MetricsNode node) : IClassFixture<MetricsNode>
{
    [Fact]
    public async Task Outside_development_metrics_are_refused_without_the_metrics_token()
    {
        foreach (var bearer in new[] { null, "wrong-token-0123456789-0123456789-0123456789", Scenario.OperatorToken })
        {
            using var refused = await node.Scrape(bearer);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            var body = await refused.Content.ReadAsStringAsync();
            Assert.Equal("""{"errors":{"detail":"Unauthorized"}}""", body);
        }
    }

    [Fact]
    public async Task The_operator_scrapes_every_meter_and_no_tenant_data()
    {
        using var http = new HttpClient { BaseAddress = node.BaseAddress };
        var s = await Scenario.SignUp(http, plan: "free");
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Get("/api/v1/users/me")).Status);

        // ASP.NET Core's request metrics are recorded when a request ends: the first scrape may come before.
        var text = "";
        await Eventually.Holds(async () =>
        {
            using var scraped = await node.Scrape(MetricsNode.Token);
            Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
            Assert.StartsWith("text/plain", scraped.Content.Headers.ContentType!.MediaType);
            text = await scraped.Content.ReadAsStringAsync();
            return text.Contains("http_route=\"/api/v1/users/me\"");
        }, TimeSpan.FromSeconds(10));

        var samples = Samples(text);
        Assert.Contains(samples, m => m.Name == "http_server_request_duration_seconds_count" && m.Labels.Contains("http_route=\"/api/v1/users/me\"")
                                     && m.Labels.Contains("http_response_status_code=\"200\""));
        Assert.Equal(MetricsNode.TranscriptionSlots, Value(samples, "voki_transcriptions_capacity"));
        Assert.Equal(0, Value(samples, "voki_transcriptions_waiting"));
        Assert.Equal(MetricsNode.CompositionSlots, Value(samples, "voki_compositions_capacity"));
        Assert.Equal(0, Value(samples, "voki_compositions_waiting"));
        foreach (var name in new[]
                 {
                     "voki_calls_active", "voki_participants_active", "voki_compositions_running", "voki_transcriptions_running",
                     "voki_media_packets_received_total", "voki_media_packets_forwarded_total", "voki_media_forwarded_bytes_total", "voki_media_received_bytes_total",
                     "voki_media_nacks_sent_total", "voki_media_plis_sent_total", "voki_media_retransmissions_total",
                 })
            Assert.Contains(samples, m => m.Name == name);
        Assert.Contains(samples, m => m.Name == "voki_media_srtp_failures_total" && m.Labels.Contains("reason=\"authentication\""));
        Assert.Contains(samples, m => m.Name == "voki_media_plane_events_total" && m.Labels.Contains("counter=\"dtlsHandshakeFailures\""));
        // The runtime's, Orleans' and Npgsql's meters.
        Assert.Contains(samples, m => m.Name.StartsWith("dotnet_gc_", StringComparison.Ordinal));
        Assert.Contains(samples, m => m.Name.StartsWith("orleans_", StringComparison.Ordinal));
        Assert.Contains(samples, m => m.Name.StartsWith("db_client_", StringComparison.Ordinal));

        Assert.DoesNotContain(s.Tenant, text);
        Assert.DoesNotContain(s.OwnerId, text);
    }

    [Fact]
    public async Task With_an_otlp_endpoint_the_node_also_pushes_its_metrics_to_the_collector()
    {
        // OTLP names instruments as they are created (dots), and protobuf keeps their names as plain UTF-8.
        await Eventually.Holds(() => node.Collector.Received.Any(r => r.Header("Content-Type") == "application/x-protobuf"
                                                                      && r.Body.Contains("voki.transcriptions.capacity")
                                                                      && r.Body.Contains("voki.media.packets.received")),
            TimeSpan.FromSeconds(20), "an OTLP export with Voki's metrics");
    }

    [Fact]
    public async Task Webhook_attempts_are_counted_by_outcome_and_event()
    {
        using var http = new HttpClient { BaseAddress = node.BaseAddress };
        var s = await Scenario.SignUp(http, plan: "advanced");
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (_, attempt) => Task.FromResult(attempt == 1 ? 500 : 200);
        var before = WebhookAttempts(Samples(await ScrapeText()));
        var created = await s.Owner.Post("/api/v1/webhooks", new { webhook = new { url = receiver.Url(), events = new[] { "call.created" } } });
        Assert.Equal(HttpStatusCode.Created, created.Status);

        Assert.Equal(HttpStatusCode.Accepted, (await s.Owner.Post($"/api/v1/webhooks/{created.Id}/test")).Status);
        await Eventually.Holds(() => receiver.Accepted.Count == 1, TimeSpan.FromSeconds(20), "the test delivery after one 500");

        // The attempt is counted once it is recorded, just after the receiver answered (and scrapes are cached briefly).
        await Eventually.Holds(async () => WebhookAttempts(Samples(await ScrapeText())).Delivered - before.Delivered == 1,
            TimeSpan.FromSeconds(5), "the delivered attempt counted");
        var after = WebhookAttempts(Samples(await ScrapeText()));
        Assert.Equal(1, after.Retrying - before.Retrying);
    }

    private static (double Retrying, double Delivered) WebhookAttempts(List<Sample> samples)
    {
        double Count(string outcome) => samples.Where(m => m.Name == "voki_webhook_deliveries_total"
                                                          && m.Labels.Contains("event=\"webhook.test\"") && m.Labels.Contains($"outcome=\"{outcome}\""))
            .Sum(m => m.Value);
        return (Count("retrying"), Count("delivered"));
    }

    private async Task<string> ScrapeText()
    {
        using var scraped = await node.Scrape(MetricsNode.Token);
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        return await scraped.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task A_real_prometheus_scrapes_the_node_with_the_token_and_is_refused_without_it()
    {
        await using var prometheus = await PrometheusServer.StartAsync(node.Port, MetricsNode.Token);

        // One job carries the token, the other none: both target the same node.
        await Eventually.Holds(async () => await prometheus.Query("up{job=\"voki\"}") is [1.0]
                                            && await prometheus.Query("up{job=\"voki-without-token\"}") is [0.0],
            TimeSpan.FromSeconds(30));
        Assert.Equal(new double[] { MetricsNode.TranscriptionSlots }, await prometheus.Query("voki_transcriptions_capacity{job=\"voki\"}"));
        Assert.Empty(await prometheus.Query("voki_transcriptions_capacity{job=\"voki-without-token\"}"));

        // Every query of the shipped Grafana dashboard is valid PromQL (Prometheus answers 400 otherwise), and every
        // Voki metric it names is one the node exports.
        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(NodeScripts.RepositoryRoot(), "deploy", "grafana-voki.json")))!;
        var expressions = dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray()).Select(t => t!["expr"]!.GetValue<string>()).ToList();
        Assert.True(expressions.Count >= 10, $"{expressions.Count} dashboard queries");
        using var scraped = await node.Scrape(MetricsNode.Token);
        var exported = Samples(await scraped.Content.ReadAsStringAsync()).Select(m => m.Name).ToHashSet();
        // Instruments that appear with their first measurement: no recording, transcription or webhook happened yet.
        exported.UnionWith(["voki_composition_duration_seconds_bucket", "voki_transcription_duration_seconds_bucket", "voki_webhook_deliveries_total"]);
        // Nor a call with media: the participants' histograms (CallQualityTests scrapes them after one).
        exported.UnionWith(["voki_media_participant_loss_bucket", "voki_media_participant_jitter_seconds_bucket",
            "voki_media_participant_round_trip_seconds_bucket", "voki_media_participant_bitrate_bit_per_second_bucket"]);
        foreach (var expression in expressions)
        {
            await prometheus.Query(expression);
            foreach (var name in System.Text.RegularExpressions.Regex.Matches(expression, @"\bvoki_[a-z_]+").Select(m => m.Value))
                Assert.True(exported.Contains(name), $"the dashboard's {name} is not exported");
        }
    }

    private sealed record Sample(string Name, string Labels, double Value);

    private static List<Sample> Samples(string text) => text.Split('\n')
        .Where(line => line.Length > 0 && line[0] != '#')
        .Select(line =>
        {
            var nameEnd = line.IndexOfAny(['{', ' ']);
            var labelsEnd = line[nameEnd] == '{' ? line.LastIndexOf('}') + 1 : nameEnd;
            var value = line[labelsEnd..].Trim().Split(' ')[0];
            return new Sample(line[..nameEnd], line[nameEnd..labelsEnd], double.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
        }).ToList();

    private static double Value(List<Sample> samples, string name) => Assert.Single(samples, m => m.Name == name).Value;
}

/// <summary>Debian's prometheus (./voki test installs it) with a generated configuration scraping one node every second.</summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly Process _process;
    private readonly HttpClient _http;

    private PrometheusServer(string directory, Process process, int port)
    {
        _directory = directory;
        _process = process;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    public static async Task<PrometheusServer> StartAsync(int nodePort, string token)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"voki-prometheus-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "metrics-token"), token);
        // The shipped example, with only what a test machine changes: the target, the token file, a 1 s interval;
        // plus a job without the token.
        var shipped = await File.ReadAllTextAsync(Path.Combine(NodeScripts.RepositoryRoot(), "deploy", "prometheus.yml"));
        var config = Replace(shipped, "scrape_interval: 15s", "scrape_interval: 1s");
        config = Replace(config, "scrape_timeout: 10s", "scrape_timeout: 1s");
        config = Replace(config, "/etc/prometheus/voki-metrics-token", $"{directory}/metrics-token");
        config = Replace(config, """["10.0.0.11:8080", "10.0.0.12:8080"]""", $"""["127.0.0.1:{nodePort}"]""");
        config += $"""

              - job_name: voki-without-token
                metrics_path: /metrics
                static_configs:
                  - targets: ["127.0.0.1:{nodePort}"]

            """;
        await File.WriteAllTextAsync(Path.Combine(directory, "prometheus.yml"), config);
        var port = FreePorts.Next();
        var process = Process.Start(new ProcessStartInfo("prometheus",
        [
            $"--config.file={directory}/prometheus.yml", $"--storage.tsdb.path={directory}/data",
            $"--web.listen-address=127.0.0.1:{port}",
        ])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        }) ?? throw new InvalidOperationException("prometheus did not start");
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrometheusServer(directory, process, port);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await server._http.GetAsync("/-/ready")).IsSuccessStatusCode) return server;
            }
            catch (HttpRequestException) { }
            if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                await server.DisposeAsync();
                throw new InvalidOperationException("prometheus is not ready: " + string.Join("\n", log.TakeLast(20)));
            }
            await Task.Delay(200);
        }
    }

    private static string Replace(string text, string shipped, string replacement)
    {
        Assert.Contains(shipped, text);
        return text.Replace(shipped, replacement);
    }

    /// <summary>An instant query through Prometheus' HTTP API: the value of every series it returns.</summary>
    public async Task<double[]> Query(string query)
    {
        var answer = JsonNode.Parse(await _http.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}"))!;
        Assert.Equal("success", answer["status"]!.GetValue<string>());
        return answer["data"]!["result"]!.AsArray()
            .Select(series => double.Parse(series!["value"]![1]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
