using Voki.Media.Srtp;

namespace Voki.Tests.Media;

/// <summary>The RFC 3711 Appendix A guess, for the sender and the receiver alike.</summary>
public sealed class PacketIndexEstimatorTests
{
    [Theory]
    [InlineData(new ushort[] { 65534, 65535, 0 }, (ushort)65535, 65535L)]      // a retransmission after the wrap stays in the old rollover
    [InlineData(new ushort[] { 65534, 65535, 0, 65535 }, (ushort)1, 65537L)]   // and does not move the estimate
    [InlineData(new ushort[] { 65000 }, (ushort)3, 65539L)]                    // a packet far ahead of a high s_l is in the next rollover
    [InlineData(new ushort[] { 2 }, (ushort)65535, -1L)]                       // before the first packet: index -1, never 2^32-1 ahead
    [InlineData(new ushort[] { 2, 65535 }, (ushort)3, 3L)]
    public void Guesses_the_index_nearest_the_highest_seen(ushort[] before, ushort sequence, long expected)
    {
        var estimator = new PacketIndexEstimator();
        foreach (var seen in before) estimator.Advance(estimator.Estimate(seen));
        Assert.Equal(expected, estimator.Estimate(sequence));
    }

    [Fact]
    public void Index_minus_one_carries_the_rfc_rollover_of_two_to_the_32_minus_one()
    {
        Assert.Equal(uint.MaxValue, PacketIndexEstimator.RolloverOf(-1));
        Assert.Equal(1u, PacketIndexEstimator.RolloverOf(65536));
    }
}
