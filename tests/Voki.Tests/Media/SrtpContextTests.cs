using System.Buffers.Binary;
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
