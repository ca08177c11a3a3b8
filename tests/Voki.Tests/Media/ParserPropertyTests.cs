using CsCheck;
using Voki.Media.Ice;
using Voki.Media.Rtp;
using Voki.Media.Sdp;
using Voki.Media.Srtp;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Media;

/// <summary>
/// Property tests over the parsers that face the network: arbitrary bytes are refused, never thrown
/// on; well-formed input round-trips.
/// </summary>
public sealed class ParserPropertyTests
{
    private static readonly Gen<byte[]> Datagrams = Gen.Byte.Array[0, 1500];

    [Fact]
    public void Stun_parser_never_throws_on_arbitrary_or_mutated_bytes()
    {
        Datagrams.Check(bytes => { StunMessage.TryParse(bytes); }, iterations: 20_000);
        var valid = StunMessage.BindingRequest(new byte[12], "server:client", "password", 1, 2, useCandidate: true);
        Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte).Check((index, value) =>
        {
            var mutated = (byte[])valid.Clone();
            mutated[index] = value;
            // A changed byte may still parse (say, FINGERPRINT's type turned into an unknown attribute),
            // but never as a check that carries a fingerprint and passes MESSAGE-INTEGRITY.
            if (mutated[index] == valid[index]) return;
            var parsed = StunMessage.TryParse(mutated);
            Assert.False(parsed is { HasFingerprint: true } && parsed.VerifyIntegrity("password"));
        }, iterations: 5_000);
    }

    [Fact]
    public void Stun_requests_round_trip_with_their_attributes_and_integrity()
    {
        var requests = Gen.Select(Gen.String[Gen.Char['a', 'z'], 1, 40], Gen.String[Gen.Char['A', 'Z'], 1, 40], Gen.UInt, Gen.ULong, Gen.Bool);
        Gen.Select(requests, Gen.Byte.Array[12]).Check((request, transaction) =>
            {
                var (user, password, priority, tieBreaker, nominate) = request;
                var parsed = StunMessage.TryParse(StunMessage.BindingRequest(transaction, user, password, priority, tieBreaker, nominate));
                Assert.NotNull(parsed);
                Assert.Equal(user, parsed.Username);
                Assert.Equal(priority, parsed.Priority);
                Assert.Equal(tieBreaker, parsed.IceControlling);
                Assert.Equal(nominate, parsed.UseCandidate);
                Assert.Equal(transaction, parsed.TransactionId);
                Assert.True(parsed.VerifyIntegrity(password));
            }, iterations: 2_000);
    }

    [Fact]
    public void Stun_attributes_after_message_integrity_change_nothing_that_is_parsed()
    {
        StunAttributeType[] known = [StunAttributeType.Username, StunAttributeType.UseCandidate, StunAttributeType.Priority, StunAttributeType.IceControlled,
            StunAttributeType.IceControlling, StunAttributeType.MessageIntegrity, StunAttributeType.XorMappedAddress, (StunAttributeType)0x7777];
        var types = Gen.Int[0, known.Length - 1].Select(i => known[i]);
        var appended = Gen.Select(types, Gen.Byte.Array[0, 24]).Array[1, 6];
        var requests = Gen.Select(Gen.String[Gen.Char['a', 'z'], 1, 40], Gen.UInt, Gen.ULong, Gen.Bool);
        Gen.Select(requests, appended).Check((request, attributes) =>
        {
            var (user, priority, tieBreaker, nominate) = request;
            var original = StunMessage.BindingRequest(new byte[12], user, "password", priority, tieBreaker, nominate);
            var parsed = StunMessage.TryParse(StunMessageTests.WithAttributesAfterIntegrity(original, attributes));
            Assert.NotNull(parsed);
            Assert.Equal(user, parsed.Username);
            Assert.Equal(priority, parsed.Priority);
            Assert.Equal(tieBreaker, parsed.IceControlling);
            Assert.Equal(nominate, parsed.UseCandidate);
            Assert.Null(parsed.IceControlled);
            Assert.True(parsed.HasFingerprint);
            Assert.True(parsed.VerifyIntegrity("password"));
        }, iterations: 3_000);
    }

    [Fact]
    public void Rtp_and_rtcp_readers_stay_inside_the_datagram()
    {
        Datagrams.Check(bytes =>
        {
            var length = RtpHeader.Length(bytes);
            Assert.True(length == -1 || (length >= 12 && length <= bytes.Length));
            foreach (var (offset, size) in RtcpPacket.Split(bytes))
            {
                // Every packet Split yields has its sender SSRC (bytes 4-8) inside itself, never in the next packet.
                Assert.True(size >= 8, $"a {size}-byte RTCP packet at {offset}");
                Assert.InRange(offset + size, 8, bytes.Length);
                var packet = bytes.AsSpan(offset, size);
                if (packet[1] == RtcpType.TransportFeedback) GenericNack.Read(packet, new ushort[64]);
            }
            Vp8Payload.IsKeyframeStart(bytes);
        }, iterations: 20_000, "abyTbKL7_Os1");
    }

    [Fact]
    public void Forwarded_rtp_keeps_the_payload_and_takes_the_new_identity()
    {
        Gen.Select(Gen.Byte.Array[0, 1200], Gen.UShort, Gen.UInt, Gen.UInt, Gen.Byte[0, 127]).Check((payload, sequence, timestamp, ssrc, pt) =>
        {
            var source = SrtpContextTests.RtpPacket(1, 2, payload);
            var destination = new byte[1500];
            var length = RtpHeader.WriteForwarded(source, 12, destination, pt, sequence, timestamp, ssrc);
            var packet = destination.AsSpan(0, length);
            Assert.Equal(pt, RtpHeader.PayloadType(packet));
            Assert.Equal(sequence, RtpHeader.Sequence(packet));
            Assert.Equal(timestamp, RtpHeader.Timestamp(packet));
            Assert.Equal(ssrc, RtpHeader.Ssrc(packet));
            Assert.True(packet[12..].SequenceEqual(payload));
        }, iterations: 2_000);
    }

    [Fact]
    public void Srtp_refuses_arbitrary_bytes_without_throwing()
    {
        using var context = new SrtpContext(SrtpProfile.AesCm128HmacSha1_80, new byte[16], new byte[14]);
        Datagrams.Check(bytes =>
        {
            var copy = (byte[])bytes.Clone();
            Assert.False(context.TryUnprotectRtp(copy, copy.Length, out _));
            Assert.False(context.TryUnprotectRtcp(copy, copy.Length, out _));
        }, iterations: 5_000); // one thread: one context per direction, like the receive loop
    }

    [Fact]
    public void Sdp_parser_throws_only_its_own_exception()
    {
        string[] samples = ["v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=video x", "m=",
            "a=mid:0", "a=rtpmap:111 opus/48000/2", "a=ssrc:12 cname:x", "a=", "c=IN IP4 1.2.3.4", "garbage", "=", "a=sendonly"];
        var lines = Gen.Int[0, samples.Length - 1].Select(i => samples[i]);
        Gen.Select(lines.Array[0, 20], Gen.String).Check((picked, noise) =>
        {
            var text = string.Join("\r\n", picked) + noise;
            try
            {
                var sdp = SessionDescription.Parse(text);
                foreach (var media in sdp.Media) { _ = media.FirstSsrc; _ = media.PayloadTypeOf("opus"); _ = media.Direction; }
            }
            catch (SdpException) { }
        }, iterations: 10_000);
    }
}
