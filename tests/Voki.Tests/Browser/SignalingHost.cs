using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Voki.Media.Sfu;

namespace Voki.Tests.Browser;

/// <summary>
/// The smallest signalling that lets any browser reach an SFU session: a page plus HTTP endpoints for
/// offers, answers and our renegotiation offers (long-polled). Media tests use it to put Chromium and
/// Firefox in one call without the product's socket in the way.
/// </summary>
public sealed class SignalingHost : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Channel<string>> _offers = new();
    private WebApplication _app = null!;
    public MediaNode Node { get; } = new(new MediaNodeOptions { Port = 0 });
    public SfuSession Session { get; }
    public string Url { get; private set; } = "";

    private SignalingHost()
    {
        Session = Node.Session("tenant/browser-mix");
        Session.OfferReady += (who, sdp) => Queue(who).Writer.TryWrite(sdp);
    }

    public static async Task<SignalingHost> StartAsync()
    {
        var host = new SignalingHost();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = host._app = builder.Build();
        var session = host.Session;
        app.MapGet("/", () => Results.Content(Page, "text/html"));
        app.MapPost("/offer/{participant}", async (string participant, HttpRequest request) =>
            Results.Text(session.AcceptOffer(participant, await new StreamReader(request.Body).ReadToEndAsync())));
        app.MapPost("/answer/{participant}", async (string participant, HttpRequest request) =>
        {
            session.AcceptAnswer(participant, await new StreamReader(request.Body).ReadToEndAsync());
            return Results.NoContent();
        });
        app.MapGet("/next-offer/{participant}", async (string participant) =>
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { return Results.Text(await host.Queue(participant).Reader.ReadAsync(wait.Token)); }
            catch (OperationCanceledException) { return Results.NoContent(); }
        });
        await app.StartAsync();
        // localhost, not 127.0.0.1: browsers treat it as a secure context, which getUserMedia needs.
        host.Url = app.Urls.First().Replace("127.0.0.1", "localhost");
        return host;
    }

    private Channel<string> Queue(string participant) => _offers.GetOrAdd(participant, _ => Channel.CreateUnbounded<string>());

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Node.Dispose();
    }

    private static readonly string Page = BrowserScripts.Page("""
        window.start = async participant => {
          await localMedia();
          await pc.setLocalDescription(await pc.createOffer());
          const answer = await (await fetch('/offer/' + participant, { method: 'POST', body: pc.localDescription.sdp })).text();
          await pc.setRemoteDescription({ type: 'answer', sdp: answer });
          (async () => {
            for (;;) {
              const r = await fetch('/next-offer/' + participant);
              if (r.status !== 200) continue;
              await pc.setRemoteDescription({ type: 'offer', sdp: await r.text() });
              await pc.setLocalDescription(await pc.createAnswer());
              await fetch('/answer/' + participant, { method: 'POST', body: pc.localDescription.sdp });
            }
          })();
        };
        """);
}
