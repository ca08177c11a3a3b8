using System.Buffers.Binary;
using CsCheck;
using Voki.Tests.Infrastructure;
using Voki.Media.Srtp;

namespace Voki.Tests.Media;

public sealed class SrtpContextTests
{
    private static readonly byte[] MasterKey = Convert.FromHexString("E1F97A0D3E018BE0D64FA32C06DE4139");
    private static readonly byte[] MasterSalt = Convert.FromHexString("0EC675AD498AFEEBB6960B3AABE6");

    [Fact]
    public void Key_derivation_matches_rfc3711_appendix_b3()
    {
        Assert.Equal("C61E7A93744F39EE10734AFE3FF7A087", Convert.ToHexString(SrtpKeyDerivation.Derive(MasterKey, MasterSalt, SrtpKeyDerivation.RtpEncryption, 16)));
        Assert.Equal("30CBBC08863D8C85D49DB34A9AE1", Convert.ToHexString(SrtpKeyDerivation.Derive(MasterKey, MasterSalt, SrtpKeyDerivation.RtpSalt, 14)));
        Assert.Equal("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", Convert.ToHexString(SrtpKeyDerivation.Derive(MasterKey, MasterSalt, SrtpKeyDerivation.RtpAuthentication, 20)));
    }

    [Theory]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    [InlineData(SrtpProfile.AesCm128HmacSha1_80)]
    public void Rtp_round_trips_and_refuses_tampering_and_replay(SrtpProfile profile)
    {
        var salt = MasterSalt[..profile.SaltLength()];
        using var sender = new SrtpContext(profile, MasterKey, salt);
        using var receiver = new SrtpContext(profile, MasterKey, salt);
        var plain = RtpPacket(sequence: 65534, ssrc: 0xCAFEBABE, payload: "hello, voki"u8);
        var buffer = new byte[plain.Length + 64];
        plain.CopyTo(buffer, 0);
        var protectedLength = sender.ProtectRtp(buffer, plain.Length);
        Assert.Equal(plain.Length + profile.RtpOverhead(), protectedLength);
        Assert.NotEqual(plain[12..], buffer[12..plain.Length]);

        var tampered = (byte[])buffer.Clone();
        tampered[14] ^= 0x40;
        Assert.False(receiver.TryUnprotectRtp(tampered, protectedLength, out _));

        var copy = (byte[])buffer.Clone();
        Assert.True(receiver.TryUnprotectRtp(buffer, protectedLength, out var plainLength));
        Assert.Equal(plain, buffer[..plainLength]);
        Assert.False(receiver.TryUnprotectRtp(copy, protectedLength, out _)); // replay
    }

    [Theory]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    [InlineData(SrtpProfile.AesCm128HmacSha1_80)]
    public void Sequence_wraparound_advances_the_rollover_counter(SrtpProfile profile)
    {
        var salt = MasterSalt[..profile.SaltLength()];
        using var sender = new SrtpContext(profile, MasterKey, salt);
        using var receiver = new SrtpContext(profile, MasterKey, salt);
        foreach (var sequence in new ushort[] { 65533, 65534, 65535, 0, 1, 2 })
        {
            var plain = RtpPacket(sequence, 42, [1, 2, 3, 4, 5]);
            var buffer = new byte[plain.Length + 32];
            plain.CopyTo(buffer, 0);
            var length = sender.ProtectRtp(buffer, plain.Length);
            Assert.True(receiver.TryUnprotectRtp(buffer, length, out var plainLength), $"sequence {sequence}");
            Assert.Equal(plain, buffer[..plainLength]);
        }
    }

    [Theory]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    [InlineData(SrtpProfile.AesCm128HmacSha1_80)]
    public void A_retransmission_sent_just_after_the_wrap_keeps_the_stream_decryptable(SrtpProfile profile)
    {
        // The SFU forwards 65534, 65535 (lost on the way), 0, then answers a NACK for 65535, then carries on.
        using var pair = new SrtpPair(profile);
        var sent = new ushort[] { 65534, 65535, 0, 65535, 1, 2, 3, 4 };
        var protectedPackets = sent.Select(s => pair.Protect(s)).ToList();
        var delivered = protectedPackets.Where((_, i) => i != 1).ToList(); // the first 65535 is lost
        foreach (var packet in delivered)
            Assert.True(pair.TryOpen(packet), $"sequence {SequenceOf(packet)}");
    }

    [Theory]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    [InlineData(SrtpProfile.AesCm128HmacSha1_80)]
    public void Packets_that_arrive_out_of_order_around_the_wrap_all_decrypt(SrtpProfile profile)
    {
        // Sent in order, received shuffled across the wrap: 0 before 65535, 1 before 65534, and so on.
        using var pair = new SrtpPair(profile);
        var sent = new ushort[] { 65532, 65533, 65534, 65535, 0, 1, 2, 3 };
        var packets = sent.ToDictionary(s => s, s => pair.Protect(s));
        foreach (var sequence in new ushort[] { 65532, 0, 65534, 65533, 2, 65535, 1, 3 })
            Assert.True(pair.TryOpen(packets[sequence]), $"sequence {sequence}");
    }

    [Theory]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    [InlineData(SrtpProfile.AesCm128HmacSha1_80)]
    public void A_packet_from_before_the_first_one_does_not_derail_the_stream(SrtpProfile profile)
    {
        // A stream that starts at 2, then a late 65535 (index -1), then the stream goes on.
        using var pair = new SrtpPair(profile);
        foreach (var sequence in new ushort[] { 2, 3, 65535, 4, 5 })
            Assert.True(pair.TryOpen(pair.Protect(sequence)), $"sequence {sequence}");
    }

    [Theory]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    [InlineData(SrtpProfile.AesCm128HmacSha1_80)]
    public void Every_packet_decrypts_whatever_the_reordering_and_retransmissions_around_the_wrap(SrtpProfile profile)
    {
        // One run: a stream that begins before the wrap (far enough that both ends start in the same
        // rollover) and crosses it; the sender emits it locally reordered and re-sends some packets a
        // little later (NACK answers); the network loses some and reorders the rest again. Every copy
        // that arrives first decrypts, every later copy is refused as a replay. Displacements stay
        // inside the 64-packet replay window.
        const int Reach = 12, ResendDelay = 20;
        var run = Gen.Int[200, 3000].SelectMany(count => Gen.Select(Gen.Const(count), Gen.Int[64, count - 1], Gen.Int));
        run.Check(r =>
        {
            var (count, beforeWrap, shuffleSeed) = r;
            var start = 65536 - beforeWrap;
            var random = new Random(shuffleSeed);
            using var pair = new SrtpPair(profile);
            var sends = new List<(int Key, int Position)>();
            for (var position = 0; position < count; position++)
            {
                sends.Add((position + random.Next(Reach + 1), position));
                if (random.Next(20) == 0) sends.Add((position + Reach + 1 + random.Next(ResendDelay), position));
            }
            var wire = sends.OrderBy(s => s.Key).Select((s, i) => (Key: i + random.Next(Reach + 1), s.Position, Packet: pair.Protect((ushort)(start + s.Position))))
                .OrderBy(p => p.Key).ToList();
            var opened = new HashSet<int>();
            foreach (var (_, position, packet) in wire)
            {
                if (random.Next(25) == 0) continue; // lost
                var first = opened.Add(position);
                Assert.True(first == pair.TryOpen(packet),
                    $"stream from {start}: packet {position} (sequence {(ushort)(start + position)}) {(first ? "did not decrypt" : "was accepted twice")}");
            }
        }, iterations: 40);
    }

    private static ushort SequenceOf(byte[] packet) => BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2));

    /// <summary>A sender's and a receiver's context on the same keys, as the SFU and a subscriber hold them.</summary>
    private sealed class SrtpPair(SrtpProfile profile) : IDisposable
    {
        private readonly SrtpContext _sender = new(profile, MasterKey, MasterSalt[..profile.SaltLength()]);
        private readonly SrtpContext _receiver = new(profile, MasterKey, MasterSalt[..profile.SaltLength()]);

        public byte[] Protect(ushort sequence)
        {
            var plain = RtpPacket(sequence, 0x5EED, BitConverter.GetBytes((int)sequence));
            var buffer = new byte[plain.Length + 32];
            plain.CopyTo(buffer, 0);
            return buffer[.._sender.ProtectRtp(buffer, plain.Length)];
        }

        public bool TryOpen(byte[] packet)
        {
            var copy = (byte[])packet.Clone();
            if (!_receiver.TryUnprotectRtp(copy, copy.Length, out var length)) return false;
            Assert.Equal(SequenceOf(packet), BinaryPrimitives.ReadInt32LittleEndian(copy.AsSpan(12, length - 12)) & 0xFFFF);
            return true;
        }

        public void Dispose()
        {
            _sender.Dispose();
            _receiver.Dispose();
        }
    }

    [Theory]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    [InlineData(SrtpProfile.AesCm128HmacSha1_80)]
    public void Rtcp_round_trips_and_refuses_replay(SrtpProfile profile)
    {
        var salt = MasterSalt[..profile.SaltLength()];
        using var sender = new SrtpContext(profile, MasterKey, salt);
        using var receiver = new SrtpContext(profile, MasterKey, salt);
        // A PLI: V=2, FMT=1, PT=206, length 2, sender SSRC, media SSRC.
        var pli = Convert.FromHexString("81CE0002" + "00000001" + "CAFEBABE");
        var buffer = new byte[64];
        pli.CopyTo(buffer, 0);
        var length = sender.ProtectRtcp(buffer, pli.Length);
        Assert.Equal(pli.Length + sender.RtcpOverhead, length);
        var copy = (byte[])buffer.Clone();
        Assert.True(receiver.TryUnprotectRtcp(buffer, length, out var plainLength));
        Assert.Equal(pli, buffer[..plainLength]);
        Assert.False(receiver.TryUnprotectRtcp(copy, length, out _));
    }

    [Theory]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    [InlineData(SrtpProfile.AesCm128HmacSha1_80)]
    public void Each_refusal_says_why_and_none_throws(SrtpProfile profile)
    {
        var salt = MasterSalt[..profile.SaltLength()];
        using var sender = new SrtpContext(profile, MasterKey, salt);
        using var receiver = new SrtpContext(profile, MasterKey, salt);
        var thrown = 0;
        var thread = Environment.CurrentManagedThreadId;
        void Count(object? _, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (Environment.CurrentManagedThreadId == thread) Interlocked.Increment(ref thrown);
        }
        AppDomain.CurrentDomain.FirstChanceException += Count;
        try
        {
            for (var i = 0; i < 200; i++)
            {
                var buffer = new byte[128];
                RtpPacket(sequence: (ushort)i, ssrc: 0xCAFEBABE, payload: "hello, voki"u8).CopyTo(buffer, 0);
                var length = sender.ProtectRtp(buffer, 23);
                var forged = (byte[])buffer.Clone();
                forged[length - 1] ^= 0x01; // the tag
                Assert.Equal(SrtpOutcome.AuthenticationFailed, receiver.UnprotectRtp(forged, length, out _));
                var copy = (byte[])buffer.Clone();
                Assert.Equal(SrtpOutcome.Authentic, receiver.UnprotectRtp(buffer, length, out _));
                Assert.Equal(SrtpOutcome.Replayed, receiver.UnprotectRtp(copy, length, out _));
                Assert.Equal(SrtpOutcome.Malformed, receiver.UnprotectRtp(copy, 12, out _));

                var rtcp = new byte[128];
                rtcp[0] = 0x80; rtcp[1] = 201; rtcp[3] = 1;
                var rtcpLength = sender.ProtectRtcp(rtcp, 8);
                var forgedRtcp = (byte[])rtcp.Clone();
                forgedRtcp[9] ^= 0x01;
                Assert.Equal(SrtpOutcome.AuthenticationFailed, receiver.UnprotectRtcp(forgedRtcp, rtcpLength, out _));
                Assert.Equal(SrtpOutcome.Authentic, receiver.UnprotectRtcp(rtcp, rtcpLength, out _));
            }
        }
        finally { AppDomain.CurrentDomain.FirstChanceException -= Count; }
        // Forged packets are what an attacker sends at line rate: refusing one must not cost an exception (AesGcm's throws).
        Assert.Equal(0, thrown);
    }

    [Fact]
    public void Gcm_opener_agrees_with_aes_gcm_and_refuses_any_changed_bit()
    {
        Gen.Select(Gen.Byte.Array[16], Gen.Byte.Array[12], Gen.Byte.Array[0, 40], Gen.Byte.Array[0, 1400], Gen.Int[0, 1 << 20]).Check(t =>
        {
            var (key, nonce, aad, plain, flip) = t;
            using var gcm = new System.Security.Cryptography.AesGcm(key, 16);
            using var opener = new AesGcmOpener(key);
            var sealedData = new byte[plain.Length];
            var tag = new byte[16];
            gcm.Encrypt(nonce, plain, sealedData, tag, aad);
            var changed = (byte[])sealedData.Clone();
            var changedTag = (byte[])tag.Clone();
            var at = flip % (changed.Length + 16);
            if (at < changed.Length) changed[at] ^= (byte)(1 << (flip % 8));
            else changedTag[at - changed.Length] ^= (byte)(1 << (flip % 8));
            Assert.False(opener.TryOpen(nonce, aad, changed, changedTag));
            Assert.True(opener.TryOpen(nonce, aad, sealedData, tag));
            Assert.Equal(plain, sealedData);
        }, iterations: 1_000);
    }

    [Fact]
    public void Short_or_random_datagrams_are_refused()
    {
        using var receiver = new SrtpContext(SrtpProfile.AeadAes128Gcm, MasterKey, MasterSalt[..12]);
        var random = new Random(7);
        for (var i = 0; i < 500; i++)
        {
            var junk = new byte[random.Next(0, 300)];
            random.NextBytes(junk);
            if (junk.Length > 0) junk[0] = (byte)(0x80 | (junk[0] & 0x3F));
            Assert.False(receiver.TryUnprotectRtp(junk, junk.Length, out _));
            Assert.False(receiver.TryUnprotectRtcp(junk, junk.Length, out _));
        }
    }

    internal static byte[] RtpPacket(ushort sequence, uint ssrc, ReadOnlySpan<byte> payload, byte payloadType = 96, uint timestamp = 1000)
    {
        var packet = new byte[12 + payload.Length];
        packet[0] = 0x80;
        packet[1] = payloadType;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), ssrc);
        payload.CopyTo(packet.AsSpan(12));
        return packet;
    }
}
