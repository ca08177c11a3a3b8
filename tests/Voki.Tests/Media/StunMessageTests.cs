using System.Buffers.Binary;
using System.IO.Hashing;
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

    [Fact]
    public void Attributes_after_message_integrity_are_ignored_but_fingerprint_is_checked()
    {
        // RFC 5389 §15.4: whoever appends after MESSAGE-INTEGRITY needs no password, so nothing there may count.
        var appended = WithAttributesAfterIntegrity(SampleRequest,
            [(StunAttributeType.UseCandidate, []), (StunAttributeType.Username, "mallory:x"u8.ToArray()), (StunAttributeType.Priority, [0, 0, 0, 1])]);
        var message = StunMessage.TryParse(appended);
        Assert.NotNull(message);
        Assert.False(message.UseCandidate);
        Assert.Equal("evtj:h6vY", message.Username);
        Assert.Equal(0x6e0001ffu, message.Priority);
        Assert.True(message.HasFingerprint);
        Assert.True(message.VerifyIntegrity("VOkJxbRl1RmTxUk/WvJxBt"));
        appended[^1] ^= 0x01;
        Assert.Null(StunMessage.TryParse(appended)); // FINGERPRINT, after it too, still has to be right
    }

    /// <summary>
    /// <paramref name="message"/> (ending in MESSAGE-INTEGRITY and FINGERPRINT) with <paramref name="attributes"/> put between
    /// the two, and length and FINGERPRINT made good: what anyone can do to a captured request without its password.
    /// </summary>
    internal static byte[] WithAttributesAfterIntegrity(byte[] message, IEnumerable<(StunAttributeType Type, byte[] Value)> attributes)
    {
        var forged = new List<byte>(message[..^8]);
        foreach (var (type, value) in attributes)
        {
            forged.AddRange([(byte)((ushort)type >> 8), (byte)type, (byte)(value.Length >> 8), (byte)value.Length]);
            forged.AddRange(value);
            forged.AddRange(new byte[(4 - value.Length % 4) % 4]);
        }
        var bytes = new byte[forged.Count + 8];
        forged.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)(bytes.Length - StunMessage.HeaderLength));
        var at = forged.Count;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at), (ushort)StunAttributeType.Fingerprint);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at + 2), 4);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at + 4), Crc32.HashToUInt32(bytes.AsSpan(0, at)) ^ 0x5354554E);
        return bytes;
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("0001000021120000b7e7a701bc34d686fa87dfae")]
    [InlineData("0001000c2112a442b7e7a701bc34d686fa87dfae0006ffff")]
    public void Garbage_is_refused_without_throwing(string hex) => Assert.Null(StunMessage.TryParse(Convert.FromHexString(hex)));
}
