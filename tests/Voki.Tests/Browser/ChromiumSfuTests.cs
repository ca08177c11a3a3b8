using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Playwright;
using Voki.Media.Sfu;

namespace Voki.Tests.Browser;

/// <summary>
/// Real Chromium peers against our SFU with nothing in between but SDP handed over by the test:
/// ICE-lite, DTLS, SRTP and forwarding as a browser sees them.
/// </summary>
public sealed class ChromiumSfuTests(Chromium chromium) : IClassFixture<Chromium>, IDisposable
{
    private static readonly string PeerPage = BrowserScripts.Page("""
        window.publish = async () => {
          await localMedia();
          await pc.setLocalDescription(await pc.createOffer());
          return pc.localDescription.sdp;
        };
        window.acceptAnswer = sdp => pc.setRemoteDescription({ type: 'answer', sdp });
        window.answerOffer = async sdp => {
          await pc.setRemoteDescription({ type: 'offer', sdp });
          await pc.setLocalDescription(await pc.createAnswer());
          return pc.localDescription.sdp;
        };
        """);

    private readonly MediaNode _node = new(new MediaNodeOptions { Port = 0 });

    public void Dispose() => _node.Dispose();

    [Fact]
    public async Task Two_chromium_peers_see_and_hear_each_other_through_the_sfu()
    {
        var session = _node.Session("tenant/browser-call");
        var customer = await Join(session, "customer");
        var attendant = await Join(session, "attendant");

        var (customerStats, attendantStats) = await WaitForMedia(customer, attendant, minFrames: 15, minAudioPackets: 50);
        Assert.True(customerStats.Video >= 15 && customerStats.Audio >= 50, $"customer: {customerStats}; node: {_node.Counters}");
        Assert.True(attendantStats.Video >= 15 && attendantStats.Audio >= 50, $"attendant: {attendantStats}; node: {_node.Counters}");
        // Chromium offers RTX (RFC 4588) and we answer it; our offers carry our own, and Chromium accepts it.
        foreach (var who in new[] { "customer", "attendant" })
        {
            var peer = session.Peer(who)!;
            Assert.NotNull(Assert.Single(peer.Published.Values, t => t.Kind == "video").RtxSsrc);
            var forwarded = peer.Forwarded.Values.Where(f => f.Source.Kind == "video").ToList();
            Assert.NotEmpty(forwarded);
            Assert.All(forwarded, f => Assert.True(f.RtxAccepted, $"{who} did not accept our RTX"));
        }
    }

    [Theory]
    [InlineData(2_500_000, 600_000, true)]
    [InlineData(200_000, 250_000, false)]
    public async Task Publishers_follow_our_bandwidth_feedback(long ceiling, double threshold, bool above)
    {
        using var node = new MediaNode(new MediaNodeOptions { Port = 0, MaxPublisherBitrate = ceiling });
        var session = node.Session("tenant/browser-remb");
        var customer = await Join(session, "customer");
        await Join(session, "attendant");
        // The publisher's estimate follows our REMB: up to the ceiling we advertise, or down to it.
        double estimate = 0;
        for (var i = 0; i < 30 && (above ? estimate <= threshold : estimate == 0 || estimate > threshold); i++)
        {
            await Task.Delay(500);
            estimate = await customer.EvaluateAsync<double>("() => outgoingEstimate()");
        }
        Assert.True(above ? estimate > threshold : estimate is > 0 && estimate <= threshold,
            $"ceiling {ceiling / 1000} kbps: the publisher's estimate is {estimate / 1000:F0} kbps; node: {node.Counters}");
        // Its own estimator ran on our transport-wide feedback (issue 9 item 3), under the REMB ceiling.
        Assert.True(node.Counters.TransportFeedbackSent > 0, $"no transport-wide feedback was sent; node: {node.Counters}");
    }

    [Fact]
    public async Task A_third_chromium_peer_receives_two_remote_streams_and_everyone_keeps_decoding()
    {
        var session = _node.Session("tenant/browser-call-3");
        var peers = new[] { await Join(session, "customer"), await Join(session, "attendant"), await Join(session, "supervisor") };
        foreach (var peer in peers)
        {
            var stats = await WaitFor(peer, s => s.Streams >= 4 && s.Video >= 20);
            Assert.True(stats.Streams >= 4 && stats.Video >= 20, $"{stats}; node: {_node.Counters}");
        }
    }

    private async Task<IPage> Join(SfuSession session, string participant)
    {
        var page = await chromium.PageAsync(PeerPage);
        // Our renegotiation offers arrive on the SFU's threads; apply them one at a time on the page.
        var offers = Channel.CreateUnbounded<string>();
        session.OfferReady += (who, sdp) => { if (who == participant) offers.Writer.TryWrite(sdp); };
        _ = Task.Run(async () =>
        {
            await foreach (var offer in offers.Reader.ReadAllAsync())
            {
                try { session.AcceptAnswer(participant, await page.EvaluateAsync<string>("sdp => answerOffer(sdp)", offer)); }
                catch (PlaywrightException) { return; }
            }
        });
        var localOffer = await page.EvaluateAsync<string>("() => publish()");
        await page.EvaluateAsync("sdp => acceptAnswer(sdp)", session.AcceptOffer(participant, localOffer));
        return page;
    }

    private static async Task<(Inbound, Inbound)> WaitForMedia(IPage a, IPage b, int minFrames, int minAudioPackets)
    {
        bool Enough(Inbound s) => s.Video >= minFrames && s.Audio >= minAudioPackets;
        return (await WaitFor(a, Enough), await WaitFor(b, Enough));
    }

    private static async Task<Inbound> WaitFor(IPage page, Func<Inbound, bool> enough)
    {
        Inbound stats = default;
        for (var i = 0; i < 60; i++)
        {
            var json = await page.EvaluateAsync<JsonElement>("() => inbound()");
            stats = new Inbound(json.GetProperty("video").GetInt32(), json.GetProperty("audio").GetInt32(),
                json.GetProperty("streams").GetInt32(), json.GetProperty("state").GetString());
            if (enough(stats)) break;
            await Task.Delay(500);
        }
        return stats;
    }

    private readonly record struct Inbound(int Video, int Audio, int Streams, string? State);
}
