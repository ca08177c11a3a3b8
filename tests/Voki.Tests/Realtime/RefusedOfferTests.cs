using System.Net;
using Voki.Media.Client;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Realtime;

/// <summary>An offer beyond the SFU's limits (issue 10, item 3) reaches the client as the signal's error reply, with the SFU's reason.</summary>
[Collection(ApiCollection.Name)]
public sealed class RefusedOfferTests(VokiApp app)
{
    [Fact]
    public async Task An_offer_with_150_video_sections_gets_an_error_reply_with_the_reason_and_a_proper_offer_is_answered_after_it()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (attendant, _) = await s.Staff("attendant", department);
        var customer = await s.Customer(department);
        var topic = $"call:{customer.CallId}";
        await using var socket = await PhoenixTestClient.Connect(app, customer.SocketToken);
        Assert.Equal("ok", (await socket.Join(topic)).Status);
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{customer.CallId}/start")).Status);

        using var peer = new SyntheticPeer();
        var refused = await socket.Push(topic, "signal", new { type = "offer", sdp = peer.CreateOfferWithVideoSections(150) });
        Assert.Equal("error", refused.Status);
        Assert.Contains("Offer refused: 151 m= sections, at most 64", refused.Reason);

        // The call's media is intact: the same participant's proper offer is answered.
        Assert.Equal("ok", (await socket.Push(topic, "signal", new { type = "offer", sdp = peer.CreateOffer() })).Status);
        var answer = await socket.Next(topic, "signal");
        Assert.Equal("answer", answer.Text("type"));
    }
}
