using System.Net;
using Voki.Media.Ice;

namespace Voki.Tests.Media;

public sealed class StunMessageTests
{
    // RFC 5769 §2.1: sample request with MESSAGE-INTEGRITY and FINGERPRINT.
    private static readonly byte[] SampleRequest = Convert.FromHexString(
        "000100582112a442b7e7a701bc34d686fa87dfae" +
        "802200105354554e20746573742063" + "6c69656e74" +
        "002400046e0001ff" +
        "80290008932ff9b151263b36" +
        "000600096576746a3a68367659202020" +
        "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2" +
        "80280004e57a3bcf");

    [Fact]
    public void Parses_the_rfc5769_request_and_checks_its_integrity()
    {
        var message = StunMessage.TryParse(SampleRequest);
        Assert.NotNull(message);
        Assert.Equal(StunMessageType.BindingRequest, message.Type);
        Assert.Equal("evtj:h6vY", message.Username);
        Assert.Equal(0x6e0001ffu, message.Priority);
        Assert.Equal(0x932ff9b151263b36UL, message.IceControlled);
        Assert.True(message.HasFingerprint);
        Assert.True(message.VerifyIntegrity("VOkJxbRl1RmTxUk/WvJxBt"));
        Assert.False(message.VerifyIntegrity("wrong-password"));
    }

    [Fact]
    public void A_flipped_bit_breaks_the_fingerprint()
    {
        var corrupted = (byte[])SampleRequest.Clone();
        corrupted[30] ^= 0x01;
        Assert.Null(StunMessage.TryParse(corrupted));
    }

    [Fact]
    public void Our_binding_response_round_trips_with_integrity_and_mapped_address()
    {
        var transaction = Convert.FromHexString("b7e7a701bc34d686fa87dfae");
        var response = StunMessage.BindingSuccess(transaction, new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853), "server-password");
        // XOR-MAPPED-ADDRESS as RFC 5769 §2.2 encodes 192.0.2.1:32853.
        Assert.Equal(Convert.FromHexString("002000080001a147e112a643"), response[20..32]);
        var parsed = StunMessage.TryParse(response);
        Assert.NotNull(parsed);
        Assert.Equal(StunMessageType.BindingSuccess, parsed.Type);
        Assert.Equal(transaction, parsed.TransactionId);
        Assert.True(parsed.VerifyIntegrity("server-password"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("0001000021120000b7e7a701bc34d686fa87dfae")]
    [InlineData("0001000c2112a442b7e7a701bc34d686fa87dfae0006ffff")]
    public void Garbage_is_refused_without_throwing(string hex) => Assert.Null(StunMessage.TryParse(Convert.FromHexString(hex)));
}
