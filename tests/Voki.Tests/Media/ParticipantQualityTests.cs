using Voki.Media.Client;
using Voki.Media.Sfu;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Media;

/// <summary>A participant's call quality belongs to the call, not to one transport: a reload (a new RTCPeerConnection) continues it, and it outlives leaving.</summary>
public sealed class ParticipantQualityTests : MediaNodeTest
{

    [Fact]
    public async Task A_participant_who_reconnects_continues_its_figures_and_one_who_left_keeps_them()
    {
        var session = Node.Session("tenant/reconnects");
        var first = Peer(new SyntheticPeer { UplinkVideoLoss = 0.2, LossSeed = 9, AnswerNacks = false });
        await SyntheticMedia.JoinAsync(session, "customer", first);
        await SyntheticMedia.JoinAsync(session, "attendant", Peer(new SyntheticPeer()));
        await SyntheticMedia.PublishAsync([first], TimeSpan.FromSeconds(2.5), videoEvery: 1);
        await Eventually.Holds(() => Customer(session).Uplink.PacketsLost >= Interlocked.Read(ref first.VideoPacketsDropped) - 2, TimeSpan.FromSeconds(3), "the first transport's losses");
        var before = Customer(session);

        // The page reloads: a new transport (new ICE credentials) replaces the first, which stops sending.
        first.HangUp();
        var second = Peer(new SyntheticPeer());
        await SyntheticMedia.JoinAsync(session, "customer", second);
        await SyntheticMedia.PublishAsync([second], TimeSpan.FromSeconds(6), videoEvery: 1);
        await Eventually.Holds(() => Customer(session).Uplink.PacketsExpected >= before.Uplink.PacketsExpected + 150, TimeSpan.FromSeconds(3), "the second transport's packets");
        var after = Customer(session);
        Assert.True(after.Connected);
        Assert.Equal(before.Uplink.PacketsLost, after.Uplink.PacketsLost); // the second transport lost nothing, the first's losses stay
        Assert.True(after.Uplink.Bytes > before.Uplink.Bytes && after.MeasuredSeconds > before.MeasuredSeconds, $"{before} then {after}");
        Assert.Equal(0, after.Uplink.Loss.Current); // its last 5 s are the clean transport's
        Assert.True(after.Uplink.Loss.P95 > 0.05, after.Uplink.Loss.ToString()); // the lossy seconds are in the call's figures

        session.Remove("customer");
        var left = Customer(session);
        Assert.False(left.Connected);
        Assert.Null(left.Uplink.Loss.Current);
        Assert.Equal(after.Uplink.PacketsLost, left.Uplink.PacketsLost);
        Assert.Equal(["attendant", "customer"], session.Quality().Select(q => q.ParticipantId).Order());
    }

    private SyntheticPeer Peer(SyntheticPeer peer)
    {
        Peers.Add(peer);
        return peer;
    }

    private static ParticipantQualitySnapshot Customer(SfuSession session) => session.Quality().Single(q => q.ParticipantId == "customer");
}
