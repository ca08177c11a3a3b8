using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Voki.Tests.Infrastructure;

/// <summary>One POST as a receiver saw it: the raw body and the headers, and what the receiver answered.</summary>
public sealed record ReceivedDelivery(string Body, IReadOnlyDictionary<string, string> Headers, int Answered, DateTime At)
{
    public JsonNode Json => JsonNode.Parse(Body)!;
    public string Event => Json["event"]!.GetValue<string>();
    public string EventId => Json["id"]!.GetValue<string>();
    public string Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : "";

    /// <summary>What a receiver checks, as the docs' sample does: HMAC-SHA256 of the raw body with the secret, compared in constant time.</summary>
    public bool SignatureVerifies(string secret) => SameHex(Header("X-Voki-Signature"), Hmac(secret, Body));

    /// <summary>The replay guard: the timestamp header, signed with the body.</summary>
    public bool TimestampSignatureVerifies(string secret) => SameHex(Header("X-Voki-Timestamp-Signature"), Hmac(secret, $"{Header("X-Voki-Timestamp")}.{Body}"));

    private static string Hmac(string secret, string content) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(content)));

    private static bool SameHex(string a, string b) => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}

/// <summary>
/// A real HTTP receiver (Kestrel on a loopback port) for webhook tests. <see cref="Respond"/> decides each answer
/// (a status, after an optional delay: a delay past the sender's timeout is a timeout); every request is recorded.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedDelivery> _received = new();
    private readonly ConcurrentDictionary<string, int> _arrivals = new();

    public int Port { get; } = FreePorts.Next();
    public string Url(string path = "/hook") => $"http://127.0.0.1:{Port}{path}";

    /// <summary>Answers a request, given how many requests (this one included) came with its event id.</summary>
    public Func<ReceivedDelivery, int, Task<int>> Respond { get; set; } = (_, _) => Task.FromResult(200);

    private WebhookReceiver()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(Url(""));
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/{**path}", Receive);
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        await receiver._app.StartAsync();
        return receiver;
    }

    private async Task Receive(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var headers = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        var seen = new ReceivedDelivery(body, headers, 0, DateTime.UtcNow);
        // Counted on arrival: a request still being answered (slowly, for a timeout) counts for the next one.
        var sameEvent = _arrivals.AddOrUpdate(seen.Header("X-Voki-Event-Id"), 1, (_, n) => n + 1);
        int status;
        try
        {
            status = await Respond(seen, sameEvent);
        }
        catch (OperationCanceledException)
        {
            status = 499;
        }
        _received.Enqueue(seen with { Answered = status });
        http.Response.StatusCode = status;
    }

    public IReadOnlyList<ReceivedDelivery> Received => _received.ToArray();

    public IReadOnlyList<ReceivedDelivery> Accepted => _received.Where(r => r.Answered is >= 200 and < 300).ToArray();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
