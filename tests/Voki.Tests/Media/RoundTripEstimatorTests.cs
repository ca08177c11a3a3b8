using Voki.Media.Rtp;
using Voki.Media.Sfu;

namespace Voki.Tests.Media;

/// <summary>RTT from LSR/DLSR (RFC 3550 §6.4.1), which times the NACK retries.</summary>
public sealed class RoundTripEstimatorTests
{
    private static uint Middle(ulong ntp) => (uint)(ntp >> 16);

    [Fact]
    public void Rtt_is_the_time_since_our_report_less_the_peers_hold_time_and_is_smoothed()
    {
        var rtt = new RoundTripEstimator();
        Assert.False(rtt.Measured);
        Assert.Equal(RoundTripEstimator.Default, rtt.Current);

        var sentAt = new DateTime(2026, 12, 2, 6, 0, 0, DateTimeKind.Utc);
        var sent = RtcpWriter.ToNtp(sentAt);
        // The peer held our report 250 ms before answering; the answer arrives 330 ms after we sent: 80 ms of path.
        rtt.OnReport(Middle(sent), 65536 / 4, RtcpWriter.ToNtp(sentAt.AddMilliseconds(330)));
        Assert.True(rtt.Measured);
        Assert.InRange(rtt.Current.TotalMilliseconds, 79, 81);

        // One 400 ms sample moves the estimate an eighth of the way.
        rtt.OnReport(Middle(sent), 0, RtcpWriter.ToNtp(sentAt.AddMilliseconds(400)));
        Assert.InRange(rtt.Current.TotalMilliseconds, 119, 121);
    }

    [Fact]
    public void Reports_without_our_sender_report_or_from_a_skewed_clock_are_ignored()
    {
        var rtt = new RoundTripEstimator();
        var now = RtcpWriter.ToNtp(DateTime.UtcNow);
        rtt.OnReport(0, 0, now); // LSR 0: the peer has had no SR of ours yet
        rtt.OnReport(Middle(now) + 65536, 0, now); // "answered" a second before we sent
        Assert.False(rtt.Measured);
    }
}
