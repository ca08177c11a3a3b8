using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using System.Collections.Concurrent;
using Voki.Media.Sfu;

namespace Voki.Bench.Sfu;

/// <summary>An SFU node behind plain HTTP signalling: POST /rooms/{room}/offer/{peer}, /answer/{peer}, GET /next-offer/{peer}, /counters.</summary>
public static class SfuServer
{
    public static async Task<int> RunAsync(Options options)
    {
        using var node = new MediaNode(new MediaNodeOptions { Port = 0, ConsentTimeout = TimeSpan.FromSeconds(30) });
        var offers = new ConcurrentDictionary<string, Channel<string>>();
        Channel<string> Queue(string key) => offers.GetOrAdd(key, _ => Channel.CreateUnbounded<string>());
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{options.Int("http", 7300)}/");
        listener.Start();
        Console.WriteLine($"SFU on UDP {node.Port}, signalling on {listener.Prefixes.First()}");
        while (true)
        {
            var context = await listener.GetContextAsync();
            _ = Task.Run(async () =>
            {
                var parts = context.Request.Url!.AbsolutePath.Trim('/').Split('/');
                var response = context.Response;
                try
                {
                    string body = await new StreamReader(context.Request.InputStream).ReadToEndAsync();
                    string? reply = null;
                    if (parts is ["counters"]) reply = JsonSerializer.Serialize(new
                    {
                        node.Counters.PacketsReceived, node.Counters.PacketsForwarded, node.Counters.BytesForwarded,
                        node.Counters.SrtpAuthenticationFailures, node.Counters.KeyframeRequests,
                    });
                    else if (parts is ["rooms", var room, var verb, var peer])
                    {
                        var session = node.Session(room);
                        if (verb == "offer")
                        {
                            var key = room + "/" + peer;
                            session.OfferReady += (who, sdp) => { if (who == peer) Queue(key).Writer.TryWrite(sdp); };
                            reply = session.AcceptOffer(peer, body);
                        }
                        else if (verb == "answer") session.AcceptAnswer(peer, body);
                        else if (verb == "next-offer")
                        {
                            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                            try { reply = await Queue(room + "/" + peer).Reader.ReadAsync(wait.Token); }
                            catch (OperationCanceledException) { response.StatusCode = 204; }
                        }
                    }
                    else response.StatusCode = 404;
                    if (reply is not null)
                    {
                        var bytes = Encoding.UTF8.GetBytes(reply);
                        await response.OutputStream.WriteAsync(bytes);
                    }
                }
                catch (Exception e)
                {
                    response.StatusCode = 500;
                    Console.Error.WriteLine(e.Message);
                }
                finally { response.Close(); }
            });
        }
    }
}
