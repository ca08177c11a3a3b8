using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Voki.Api.Infrastructure;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>A node on a real port behind "a load balancer at 127.0.0.1", with the production limits.</summary>
public sealed class ProxiedApp : VokiApp
{
    public int Port { get; } = FreePorts.Next();

    public ProxiedApp() => UseKestrel(Port);

    protected override void StartHost() => StartServer();

    protected override IDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1",
        ["RateLimits:LoginAttemptsPerAccount"] = "100000",
    };

    /// <summary>A client connecting from <paramref name="source"/>: 127.0.0.1 is the trusted proxy, 127.0.0.2 anyone else.</summary>
    public HttpClient From(string source)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };
    }
}

/// <summary>
/// Forwarded headers count only from the configured proxies: behind one, rate limits count the client it names and URLs
/// take the scheme it saw; anyone else sending the headers picks neither.
/// </summary>
public sealed class TrustedProxyTests(ProxiedApp app) : IClassFixture<ProxiedApp>
{
    private static HttpRequestMessage Login(string? forwardedFor) => WithForwarded(new HttpRequestMessage(HttpMethod.Post, "/api/auth/login")
    {
        Content = JsonContent.Create(new { email = "a@b.co", password = "whatever1", tenant = "nobody" }),
    }, forwardedFor, null);

    private static HttpRequestMessage WithForwarded(HttpRequestMessage request, string? forwardedFor, string? forwardedProto)
    {
        if (forwardedFor is not null) request.Headers.Add("X-Forwarded-For", forwardedFor);
        if (forwardedProto is not null) request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        return request;
    }

    [Fact]
    public async Task Behind_the_trusted_proxy_each_forwarded_client_has_its_own_limit()
    {
        var proxy = app.From("127.0.0.1");
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await proxy.SendAsync(Login("198.51.100.1"))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await proxy.SendAsync(Login("198.51.100.1"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await proxy.SendAsync(Login("198.51.100.2"))).StatusCode);
        // The client's own X-Forwarded-For entries before the proxy's are not believed: the proxy appends the real one.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await proxy.SendAsync(Login("203.0.113.9, 198.51.100.1"))).StatusCode);
    }

    [Fact]
    public async Task Anyone_else_sending_forwarded_headers_cannot_choose_the_address_its_limit_counts()
    {
        var stranger = app.From("127.0.0.2");
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.SendAsync(Login($"192.0.2.{i + 1}"))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await stranger.SendAsync(Login("192.0.2.77"))).StatusCode);
    }

    [Fact]
    public async Task The_socket_url_is_wss_when_the_trusted_proxy_terminated_tls_and_only_then()
    {
        var s = await Scenario.SignUp(new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{app.Port}") });
        var department = await s.Department();
        async Task<string> Join(HttpClient from)
        {
            var link = await s.Link(department);
            var request = WithForwarded(new HttpRequestMessage(HttpMethod.Post, $"/api/v1/call/{link["token"]}/join")
            {
                Content = JsonContent.Create(new { name = "Carlos" }),
            }, "198.51.100.7", "https");
            request.Headers.Host = "voki.example.test";
            var response = await from.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!["websocket_url"]!.GetValue<string>();
        }
        Assert.Equal("wss://voki.example.test/socket/websocket", await Join(app.From("127.0.0.1")));
        Assert.Equal("ws://voki.example.test/socket/websocket", await Join(app.From("127.0.0.2")));
    }
}

/// <summary>PublicBaseUrl, when set, is the origin of every URL the API builds; a malformed one or a malformed proxy refuses to start.</summary>
public sealed class PublicUrlTests
{
    private static HttpContext Request(string scheme, string host)
    {
        var http = new DefaultHttpContext();
        http.Request.Scheme = scheme;
        http.Request.Host = new HostString(host);
        return http;
    }

    private static IConfiguration Settings(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    [Theory]
    [InlineData("https://voki.example.com", "https://voki.example.com", "wss://voki.example.com/socket/websocket")]
    [InlineData("https://voki.example.com/", "https://voki.example.com", "wss://voki.example.com/socket/websocket")]
    [InlineData("http://10.0.0.5:8080", "http://10.0.0.5:8080", "ws://10.0.0.5:8080/socket/websocket")]
    [InlineData("https://example.com/voki", "https://example.com/voki", "wss://example.com/voki/socket/websocket")]
    public void The_configured_origin_wins_over_the_request(string configured, string origin, string socket)
    {
        var http = Request("http", "internal-node:5080");
        var settings = Settings(("PublicBaseUrl", configured));
        Assert.Equal(origin, PublicUrls.Origin(http, settings));
        Assert.Equal(socket, PublicUrls.WebSocket(http, settings));
    }

    [Fact]
    public void Without_one_the_request_origin_is_used()
    {
        Assert.Equal("https://voki.example.test", PublicUrls.Origin(Request("https", "voki.example.test"), Settings()));
        Assert.Equal("wss://voki.example.test/socket/websocket", PublicUrls.WebSocket(Request("https", "voki.example.test"), Settings()));
    }

    [Theory]
    [InlineData("PublicBaseUrl", "voki.example.com", "not an absolute http")]
    [InlineData("PublicBaseUrl", "ftp://voki.example.com", "not an absolute http")]
    [InlineData("ForwardedHeaders:KnownProxies:0", "10.0.0.300", "is not an IP address")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/33", "CIDR")]
    public void A_malformed_setting_is_refused_even_in_development(string key, string value, string reason)
    {
        var settings = Settings((key, value));
        var problems = TrustedProxies.From(settings).Refusals().Append(PublicUrls.Refusal(settings)).OfType<string>().ToList();
        Assert.Contains(reason, Assert.Single(problems));
    }
}
