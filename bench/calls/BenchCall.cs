using System.Diagnostics;
using System.Net;
using Voki.Media.Client;
using Voki.Tests.Infrastructure;
using Voki.Tests.Realtime;

namespace Voki.Bench.Calls;

/// <summary>An attendant of the benchmark's tenant, signed in.</summary>
public sealed record Attendant(string Id, string Token);

/// <summary>
/// One 2-party call through the product as a widget customer and an attendant make it: the customer joins the
/// department's queue through an access link, the attendant takes the call, both join the call's channel on the
/// Phoenix socket and negotiate their client-mode peers there (answering the SFU's later offers, heart-beating as the
/// official client does), and the attendant starts and, at the end, completes the call.
/// </summary>
public sealed class BenchCall
{
    private PhoenixTestClient? _customerSocket, _attendantSocket;
    private Task _signalling = Task.CompletedTask;
    private volatile bool _completing;

    public required int Index { get; init; }
    public required Uri Node { get; init; }
    public required Leg Customer { get; init; }
    public required Leg Attendant { get; init; }
    public required ApiClient AttendantApi { get; init; }
    public required ApiClient OwnerApi { get; init; }
    public string CallId { get; private set; } = "";
    /// <summary>From the widget's join request to the call started with both peers' media connected.</summary>
    public TimeSpan JoinTime { get; private set; }
    public long CompletedAtTicks { get; private set; }
    public string? Failure { get; private set; }

    private string Topic => $"call:{CallId}";

    public async Task JoinAsync(string linkToken)
    {
        var anonymous = OwnerApi.As(null, null);
        var clock = Stopwatch.StartNew();
        var joined = await anonymous.Post($"/api/v1/call/{linkToken}/join", new { name = $"Customer {Index}", email = $"customer{Index}@bench.example" });
        Expect(joined, HttpStatusCode.OK, "widget join");
        CallId = joined.Data["call_id"]!.GetValue<string>();
        Expect(await AttendantApi.Post($"/api/v1/calls/{CallId}/assign", new { }), HttpStatusCode.OK, "assign");
        _customerSocket = await PhoenixTestClient.Connect(Node.ToString(), joined.Data["websocket_token"]!.GetValue<string>());
        _attendantSocket = await PhoenixTestClient.Connect(Node.ToString(), AttendantApi.Token!);
        foreach (var (socket, leg) in new[] { (_customerSocket, Customer), (_attendantSocket, Attendant) })
        {
            var channel = await socket.Join(Topic);
            if (channel.Status != "ok") throw new InvalidOperationException($"call {Index}: channel join {channel.Status} {channel.Reason}");
            var offered = await socket.Push(Topic, "signal", new { type = "offer", sdp = leg.Peer.CreateOffer() });
            if (offered.Status != "ok") throw new InvalidOperationException($"call {Index}: offer {offered.Status} {offered.Reason}");
            var answer = await socket.Next(Topic, "signal", f => f.Text("type") == "answer", TimeSpan.FromSeconds(30));
            await leg.Peer.ConnectAsync(answer.Text("sdp"), TimeSpan.FromSeconds(30));
            leg.Publishing = true;
        }
        Expect(await AttendantApi.Post($"/api/v1/calls/{CallId}/start"), HttpStatusCode.OK, "start");
        JoinTime = clock.Elapsed;
        _signalling = Task.WhenAll(Signal(_customerSocket, Customer.Peer), Signal(_attendantSocket, Attendant.Peer));
    }

    /// <summary>The SFU offers each peer the other party's tracks (and later changes): answered as a browser would.</summary>
    private async Task Signal(PhoenixTestClient socket, SyntheticPeer peer)
    {
        try
        {
            while (socket.State == System.Net.WebSockets.WebSocketState.Open)
            {
                Frame offer;
                try { offer = await socket.Next(Topic, "signal", f => f.Text("type") == "offer", TimeSpan.FromSeconds(20)); }
                catch (TimeoutException)
                {
                    await socket.Heartbeat();
                    continue;
                }
                var answered = await socket.Push(Topic, "signal", new { type = "answer", sdp = peer.CreateAnswer(offer.Text("sdp")) });
                // Once the call is being completed, the SFU's offers about the other party leaving race the completion.
                if (answered.Status != "ok" && !_completing) Failure ??= $"answer refused: {answered.Reason}";
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.Net.WebSockets.WebSocketException or ObjectDisposedException or TimeoutException) { }
    }

    public async Task CompleteAsync()
    {
        Customer.Publishing = Attendant.Publishing = false;
        _completing = true;
        CompletedAtTicks = Stopwatch.GetTimestamp();
        var completed = await AttendantApi.Post($"/api/v1/calls/{CallId}/complete", new { });
        if (completed.Status != HttpStatusCode.OK) Failure ??= $"complete: {(int)completed.Status} {completed.Detail}";
        Customer.Peer.HangUp();
        Attendant.Peer.HangUp();
        foreach (var socket in new[] { _customerSocket, _attendantSocket })
            if (socket is not null) await socket.DisposeAsync();
        await _signalling.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// The call's recording_status (none, recording, processing, ready, failed); once ready, the recording's duration
    /// in seconds and its transcription's status.
    /// </summary>
    public async Task<(string Recording, double? Duration, string? Transcription)> RecordingAsync()
    {
        var call = await OwnerApi.Get($"/api/v1/calls/{CallId}");
        if (call.Status != HttpStatusCode.OK) return ($"HTTP {(int)call.Status}", null, null);
        var status = call.Data["recording_status"]!.GetValue<string>();
        if (status != "ready") return (status, null, null);
        var recording = await OwnerApi.Get($"/api/v1/calls/{CallId}/recording");
        if (recording.Status != HttpStatusCode.OK) return (status, null, null);
        return (status, recording.Data["duration"]?.GetValue<double>(), recording.Data["transcription"]?["status"]?.GetValue<string>());
    }

    private void Expect(ApiResponse response, HttpStatusCode status, string step)
    {
        if (response.Status != status)
            throw new InvalidOperationException($"call {Index}: {step} answered {(int)response.Status} {response.Detail ?? response.Text}");
    }
}
