using System.Collections.Concurrent;
using Voki.Media.Client;
using Voki.Media.Sdp;
using Voki.Media.Sfu;

namespace Voki.Tests.Media;

/// <summary>The SFU end to end on loopback, with our client-mode peers in the browsers' place.</summary>
public sealed class SfuSessionTests() : MediaNodeTest(new MediaNodeOptions { Port = 0, ConsentTimeout = TimeSpan.FromSeconds(3) })
{

    [Fact]
    public async Task Two_participants_receive_each_others_audio_and_video_with_rewritten_ssrcs()
    {
        var session = Node.Session("tenant/call-1");
        var (alice, aliceGot) = await Join(session, "alice");
        var (bob, bobGot) = await Join(session, "bob");

        await Publish([alice, bob], TimeSpan.FromSeconds(2));

        var aliceFromBob = aliceGot.Values.ToList();
        Assert.Contains(aliceFromBob, p => p.PayloadType == SyntheticPeer.OpusPayloadType);
        Assert.Contains(aliceFromBob, p => p.PayloadType == SyntheticPeer.Vp8PayloadType);
        Assert.DoesNotContain(aliceFromBob, p => p.Ssrc == bob.AudioSsrc || p.Ssrc == bob.VideoSsrc); // rewritten
        Assert.Contains(bobGot.Values, p => p.PayloadType == SyntheticPeer.Vp8PayloadType);
        Assert.True(Node.Counters.PacketsForwarded > 20, Node.Counters.ToString());
        Assert.True(Node.Counters.KeyframeRequests > 0, "a subscriber joining asks the publisher for a keyframe");
        Assert.True(alice.PliReceived + bob.PliReceived > 0);
    }

    [Fact]
    public async Task A_third_participant_makes_everyone_receive_two_remote_streams_and_leaving_stops_them()
    {
        var session = Node.Session("tenant/call-2");
        var joined = new List<(SyntheticPeer Peer, ConcurrentDictionary<(uint, ushort), ReceivedPacket> Got)>();
        foreach (var name in new[] { "customer", "attendant", "supervisor" }) joined.Add(await Join(session, name));
        await Publish(joined.Select(j => j.Peer).ToArray(), TimeSpan.FromSeconds(2));
        foreach (var (_, got) in joined)
            Assert.Equal(4, got.Values.Select(p => p.Ssrc).Distinct().Count()); // two remote participants × audio + video

        session.Remove("supervisor");
        await Task.Delay(500);
        foreach (var (_, got) in joined) got.Clear();
        await Publish([joined[0].Peer, joined[1].Peer], TimeSpan.FromSeconds(1));
        Assert.Equal(2, joined[0].Got.Values.Select(p => p.Ssrc).Distinct().Count());
        Assert.Empty(joined[2].Got);
    }

    [Fact]
    public async Task A_peer_that_stops_answering_consent_checks_is_dropped()
    {
        var session = Node.Session("tenant/call-3");
        var dropped = new TaskCompletionSource<(string, string)>();
        session.ParticipantDropped += (who, why) => dropped.TrySetResult((who, why));
        var (peer, _) = await Join(session, "quiet");
        peer.Dispose(); // the browser tab vanished
        var (participant, reason) = await dropped.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("quiet", participant);
        Assert.Equal("consent expired", reason);
        Assert.DoesNotContain("quiet", session.Participants);
    }

    [Fact]
    public async Task Garbage_and_forged_packets_are_dropped_and_counted_while_media_keeps_flowing()
    {
        var session = Node.Session("tenant/call-4");
        var (alice, aliceGot) = await Join(session, "alice");
        var (bob, _) = await Join(session, "bob");
        var random = new Random(1);
        for (var i = 0; i < 300; i++)
        {
            var junk = new byte[random.Next(1, 1400)];
            random.NextBytes(junk);
            junk[0] = (byte)(i % 4 == 0 ? 0x00 : i % 4 == 1 ? 0x16 : i % 4 == 2 ? 0x80 : 0xFF); // STUN, DTLS, RTP ranges and beyond
            bob.SendRaw(junk);
        }
        await Publish([bob], TimeSpan.FromSeconds(1));
        Assert.NotEmpty(aliceGot);
        var c = Node.Counters;
        Assert.True(c.StunMalformed + c.SrtpAuthenticationFailures + c.UnknownDatagrams + c.DtlsUnknownSource > 0, c.ToString());
        Assert.True(c.SrtpAuthenticationFailures > 0, c.ToString());
    }

    [Fact]
    public async Task A_participant_who_reconnects_with_a_new_peer_connection_gets_media_again()
    {
        var session = Node.Session("tenant/call-6");
        var (_, aliceGot) = await Join(session, "alice");
        var (firstBob, _) = await Join(session, "bob");
        firstBob.Dispose(); // the page reloads: same participant, new RTCPeerConnection
        var (bob, bobGot) = await Join(session, "bob");
        aliceGot.Clear();
        await Publish([bob], TimeSpan.FromSeconds(1));
        Assert.NotEmpty(aliceGot);
        Assert.Equal(2, session.Participants.Count);
    }

    [Fact]
    public async Task A_newcomer_receives_the_tracks_already_published_under_its_own_payload_types()
    {
        var session = Node.Session("tenant/call-7");
        await Join(session, "chromium"); // publishes Opus 111 and VP8 96
        var offered = new TaskCompletionSource<string>();
        session.OfferReady += (who, sdp) => { if (who == "firefox") offered.TrySetResult(sdp); };
        var firefox = new SyntheticPeer();
        Peers.Add(firefox);
        var offer = firefox.CreateOffer()
            .Replace($"SAVPF {SyntheticPeer.OpusPayloadType}\r\n", "SAVPF 109\r\n").Replace($"a=rtpmap:{SyntheticPeer.OpusPayloadType} ", "a=rtpmap:109 ")
            .Replace($"SAVPF {SyntheticPeer.Vp8PayloadType}\r\n", "SAVPF 120\r\n").Replace($"a=rtpmap:{SyntheticPeer.Vp8PayloadType} ", "a=rtpmap:120 ");
        Assert.Contains("a=rtpmap:120 VP8", offer);
        session.AcceptOffer("firefox", offer);

        var forwarded = SessionDescription.Parse(await offered.Task.WaitAsync(TimeSpan.FromSeconds(5))).Media.Where(m => m.Direction == "sendonly").ToList();
        Assert.Equal(109, Assert.Single(forwarded, m => m.Kind == "audio").PayloadTypeOf("opus"));
        Assert.Equal(120, Assert.Single(forwarded, m => m.Kind == "video").PayloadTypeOf("VP8"));
    }

    [Fact]
    public void A_malformed_offer_is_refused_with_its_reason()
    {
        var session = Node.Session("tenant/call-5");
        Assert.Contains("v=0", Assert.Throws<SdpException>(() => session.AcceptOffer("x", "m=audio 9 RTP/AVP 0")).Message);
        Assert.Contains("fingerprint", Assert.Throws<SdpException>(() => session.AcceptOffer("x",
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=ice-ufrag:a\r\na=ice-pwd:b\r\n")).Message);
        Assert.Empty(session.Participants);
    }

    private async Task<(SyntheticPeer, ConcurrentDictionary<(uint, ushort), ReceivedPacket>)> Join(SfuSession session, string participant)
    {
        var peer = new SyntheticPeer();
        Peers.Add(peer);
        return (peer, await SyntheticMedia.JoinAsync(session, participant, peer));
    }

    private static async Task Publish(SyntheticPeer[] peers, TimeSpan duration)
    {
        await SyntheticMedia.PublishAsync(peers, duration);
        await Task.Delay(200);
    }
}
