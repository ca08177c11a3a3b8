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

    private const string Page = """
        <!doctype html><html><body><div id="remote"></div><script>
        window.pc = new RTCPeerConnection();
        pc.ontrack = e => {
          const el = document.createElement(e.track.kind === 'video' ? 'video' : 'audio');
          el.autoplay = true; el.muted = true; el.playsInline = true;
          el.srcObject = new MediaStream([e.track]);
          document.getElementById('remote').appendChild(el);
        };
        window.start = async participant => {
          const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
          stream.getTracks().forEach(t => pc.addTrack(t, stream));
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
        window.inbound = async () => {
          const out = { video: 0, audio: 0, streams: 0 };
          (await pc.getStats()).forEach(r => {
            if (r.type !== 'inbound-rtp') return;
            out.streams++;
            if (r.kind === 'video') out.video += r.framesDecoded || 0;
            if (r.kind === 'audio') out.audio += r.packetsReceived || 0;
          });
          out.state = pc.connectionState;
          return out;
        };
        </script></body></html>
        """;
}
