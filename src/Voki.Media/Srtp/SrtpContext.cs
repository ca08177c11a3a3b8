using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Voki.Media.Srtp;

/// <summary>
/// One direction of SRTP/SRTCP (RFC 3711) with AES_CM_128_HMAC_SHA1_80 or AEAD_AES_128_GCM (RFC 7714).
/// Packets are transformed in place; buffers are preallocated, so the hot path does not allocate.
/// Not thread-safe: one context per direction per peer, used from that peer's packet loop.
/// </summary>
public sealed class SrtpContext : IDisposable
{
    private const int CmTagLength = 10, GcmTagLength = 16, SrtcpIndexLength = 4;
    private const uint EncryptedFlag = 0x8000_0000;

    public SrtpProfile Profile { get; }
    private readonly Aes? _rtpCipher, _rtcpCipher;
    private readonly AesGcm? _rtpGcm, _rtcpGcm;
    private readonly AesGcmOpener? _rtpOpener, _rtcpOpener;
    private readonly byte[] _rtpSalt, _rtcpSalt;
    private readonly IncrementalHash? _rtpAuth, _rtcpAuth;
    private readonly Dictionary<uint, SsrcState> _streams = [];
    private readonly Dictionary<uint, ReplayWindow> _rtcpReplay = [];
    private readonly byte[] _counters = new byte[2048], _keystream = new byte[2048];
    private readonly byte[] _tag = new byte[20];
    private uint _srtcpIndex;

    public SrtpContext(SrtpProfile profile, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt)
    {
        Profile = profile;
        var keyLength = profile.KeyLength();
        var saltLength = profile.SaltLength();
        var rtpKey = SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpEncryption, keyLength);
        var rtcpKey = SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtcpEncryption, keyLength);
        _rtpSalt = SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpSalt, saltLength);
        _rtcpSalt = SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtcpSalt, saltLength);
        if (profile == SrtpProfile.AeadAes128Gcm)
        {
            _rtpGcm = new AesGcm(rtpKey, GcmTagLength);
            _rtcpGcm = new AesGcm(rtcpKey, GcmTagLength);
            _rtpOpener = new AesGcmOpener(rtpKey);
            _rtcpOpener = new AesGcmOpener(rtcpKey);
        }
        else
        {
            _rtpCipher = Aes.Create();
            _rtpCipher.Key = rtpKey;
            _rtcpCipher = Aes.Create();
            _rtcpCipher.Key = rtcpKey;
            _rtpAuth = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1,
                SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpAuthentication, 20));
            _rtcpAuth = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1,
                SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtcpAuthentication, 20));
        }
    }

    /// <summary>Bytes that <see cref="ProtectRtp"/> adds; the buffer must have this much room after the packet.</summary>
    public int RtpOverhead => Profile.RtpOverhead();
    public int RtcpOverhead => Profile.RtpOverhead() + SrtcpIndexLength;

    /// <summary>Encrypts and authenticates an RTP packet in place; returns the SRTP length.</summary>
    public int ProtectRtp(Span<byte> buffer, int length)
    {
        var packet = buffer[..length];
        var headerLength = RtpHeaderLength(packet);
        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
        var sequence = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        ref var stream = ref StreamOf(ssrc);
        var index = stream.Index.Estimate(sequence);
        stream.Index.Advance(index);
        var rollover = PacketIndexEstimator.RolloverOf(index);

        if (_rtpGcm is not null)
        {
            Span<byte> nonce = stackalloc byte[12];
            RtpNonce(nonce, ssrc, rollover, sequence);
            var payload = buffer[headerLength..length];
            _rtpGcm.Encrypt(nonce, payload, payload, buffer.Slice(length, GcmTagLength), packet[..headerLength]);
            return length + GcmTagLength;
        }
        XorKeystream(_rtpCipher!, _rtpSalt, ssrc, (ulong)index, buffer[headerLength..length]);
        Span<byte> rolloverBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(rolloverBytes, rollover);
        _rtpAuth!.AppendData(buffer[..length]);
        _rtpAuth.AppendData(rolloverBytes);
        _rtpAuth.GetHashAndReset(_tag);
        _tag.AsSpan(0, CmTagLength).CopyTo(buffer[length..]);
        return length + CmTagLength;
    }

    /// <summary>Authenticates and decrypts an SRTP packet in place; false (and nothing changed) when it fails or replays.</summary>
    public bool TryUnprotectRtp(Span<byte> buffer, int length, out int plainLength) => UnprotectRtp(buffer, length, out plainLength) == SrtpOutcome.Authentic;

    /// <summary>Authenticates and decrypts an SRTP packet in place; anything but <see cref="SrtpOutcome.Authentic"/> changes nothing.</summary>
    public SrtpOutcome UnprotectRtp(Span<byte> buffer, int length, out int plainLength)
    {
        plainLength = 0;
        var tagLength = _rtpGcm is not null ? GcmTagLength : CmTagLength;
        if (length < 12 + tagLength) return SrtpOutcome.Malformed;
        var headerLength = RtpHeaderLength(buffer[..length]);
        if (headerLength < 0 || headerLength > length - tagLength) return SrtpOutcome.Malformed;
        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[8..]);
        var sequence = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        // Only packets that authenticate create per-SSRC state, so junk cannot grow the table.
        var stream = _streams.GetValueOrDefault(ssrc);
        var index = stream.Index.Estimate(sequence);
        var rollover = PacketIndexEstimator.RolloverOf(index);
        if (!stream.Replay.IsNew(index)) return SrtpOutcome.Replayed;

        var bodyLength = length - tagLength;
        if (_rtpGcm is not null)
        {
            Span<byte> nonce = stackalloc byte[12];
            RtpNonce(nonce, ssrc, rollover, sequence);
            var ciphertext = buffer[headerLength..bodyLength];
            if (!_rtpOpener!.TryOpen(nonce, buffer[..headerLength], ciphertext, buffer.Slice(bodyLength, GcmTagLength))) return SrtpOutcome.AuthenticationFailed;
        }
        else
        {
            Span<byte> rolloverBytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(rolloverBytes, rollover);
            _rtpAuth!.AppendData(buffer[..bodyLength]);
            _rtpAuth.AppendData(rolloverBytes);
            _rtpAuth.GetHashAndReset(_tag);
            if (!CryptographicOperations.FixedTimeEquals(_tag.AsSpan(0, CmTagLength), buffer.Slice(bodyLength, CmTagLength))) return SrtpOutcome.AuthenticationFailed;
            XorKeystream(_rtpCipher!, _rtpSalt, ssrc, (ulong)index, buffer[headerLength..bodyLength]);
        }
        stream.Replay.Accept(index);
        stream.Index.Advance(index);
        _streams[ssrc] = stream;
        plainLength = bodyLength;
        return SrtpOutcome.Authentic;
    }

    /// <summary>Encrypts and authenticates a (compound) RTCP packet in place; returns the SRTCP length.</summary>
    public int ProtectRtcp(Span<byte> buffer, int length)
    {
        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        var index = _srtcpIndex = (_srtcpIndex + 1) & 0x7FFF_FFFF;
        if (_rtcpGcm is not null)
        {
            Span<byte> nonce = stackalloc byte[12];
            RtcpNonce(nonce, ssrc, index);
            Span<byte> aad = stackalloc byte[12];
            buffer[..8].CopyTo(aad);
            BinaryPrimitives.WriteUInt32BigEndian(aad[8..], index | EncryptedFlag);
            var payload = buffer[8..length];
            _rtcpGcm.Encrypt(nonce, payload, payload, buffer.Slice(length, GcmTagLength), aad);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[(length + GcmTagLength)..], index | EncryptedFlag);
            return length + GcmTagLength + SrtcpIndexLength;
        }
        XorKeystream(_rtcpCipher!, _rtcpSalt, ssrc, index, buffer[8..length]);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[length..], index | EncryptedFlag);
        _rtcpAuth!.AppendData(buffer[..(length + SrtcpIndexLength)]);
        _rtcpAuth.GetHashAndReset(_tag);
        _tag.AsSpan(0, CmTagLength).CopyTo(buffer[(length + SrtcpIndexLength)..]);
        return length + SrtcpIndexLength + CmTagLength;
    }

    /// <summary>Authenticates and decrypts an SRTCP packet in place; false when it fails or replays.</summary>
    public bool TryUnprotectRtcp(Span<byte> buffer, int length, out int plainLength) => UnprotectRtcp(buffer, length, out plainLength) == SrtpOutcome.Authentic;

    /// <summary>Authenticates and decrypts an SRTCP packet in place; anything but <see cref="SrtpOutcome.Authentic"/> changes nothing.</summary>
    public SrtpOutcome UnprotectRtcp(Span<byte> buffer, int length, out int plainLength)
    {
        plainLength = 0;
        var tagLength = _rtcpGcm is not null ? GcmTagLength : CmTagLength;
        if (length < 8 + SrtcpIndexLength + tagLength) return SrtpOutcome.Malformed;
        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        uint word;
        int bodyLength;
        if (_rtcpGcm is not null)
        {
            // GCM: header | ciphertext | tag | E+index
            word = BinaryPrimitives.ReadUInt32BigEndian(buffer[(length - SrtcpIndexLength)..]);
            bodyLength = length - SrtcpIndexLength - GcmTagLength;
        }
        else
        {
            // CM: header | ciphertext | E+index | tag
            word = BinaryPrimitives.ReadUInt32BigEndian(buffer[(length - CmTagLength - SrtcpIndexLength)..]);
            bodyLength = length - CmTagLength - SrtcpIndexLength;
        }
        var index = word & 0x7FFF_FFFF;
        var encrypted = (word & EncryptedFlag) != 0;
        var replay = _rtcpReplay.GetValueOrDefault(ssrc);
        if (!replay.IsNew(index)) return SrtpOutcome.Replayed;

        if (_rtcpGcm is not null)
        {
            Span<byte> nonce = stackalloc byte[12];
            RtcpNonce(nonce, ssrc, index);
            Span<byte> aad = stackalloc byte[12];
            buffer[..8].CopyTo(aad);
            BinaryPrimitives.WriteUInt32BigEndian(aad[8..], word);
            if (!encrypted) return SrtpOutcome.Malformed; // unencrypted SRTCP is never negotiated by us
            var ciphertext = buffer[8..bodyLength];
            if (!_rtcpOpener!.TryOpen(nonce, aad, ciphertext, buffer.Slice(bodyLength, GcmTagLength))) return SrtpOutcome.AuthenticationFailed;
        }
        else
        {
            _rtcpAuth!.AppendData(buffer[..(bodyLength + SrtcpIndexLength)]);
            _rtcpAuth.GetHashAndReset(_tag);
            if (!CryptographicOperations.FixedTimeEquals(_tag.AsSpan(0, CmTagLength), buffer.Slice(bodyLength + SrtcpIndexLength, CmTagLength))) return SrtpOutcome.AuthenticationFailed;
            if (encrypted) XorKeystream(_rtcpCipher!, _rtcpSalt, ssrc, index, buffer[8..bodyLength]);
        }
        replay.Accept(index);
        _rtcpReplay[ssrc] = replay;
        plainLength = bodyLength;
        return SrtpOutcome.Authentic;
    }

    /// <summary>RTP header length including CSRCs and the extension (RFC 3550 §5.1); -1 when malformed.</summary>
    public static int RtpHeaderLength(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 12) return -1;
        var length = 12 + 4 * (packet[0] & 0x0F);
        if ((packet[0] & 0x10) != 0)
        {
            if (packet.Length < length + 4) return -1;
            length += 4 + 4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(length + 2)..]);
        }
        return length <= packet.Length ? length : -1;
    }

    // RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt.
    private void RtpNonce(Span<byte> nonce, uint ssrc, uint rollover, ushort sequence)
    {
        nonce.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(nonce[2..], ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[6..], rollover);
        BinaryPrimitives.WriteUInt16BigEndian(nonce[10..], sequence);
        for (var i = 0; i < 12; i++) nonce[i] ^= _rtpSalt[i];
    }

    // RFC 7714 §9.1: IV = (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt.
    private void RtcpNonce(Span<byte> nonce, uint ssrc, uint index)
    {
        nonce.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(nonce[2..], ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[8..], index & 0x7FFF_FFFF);
        for (var i = 0; i < 12; i++) nonce[i] ^= _rtcpSalt[i];
    }

    // RFC 3711 §4.1.1: IV = (salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16), then a block counter.
    private void XorKeystream(Aes cipher, byte[] salt, uint ssrc, ulong index, Span<byte> data)
    {
        var blocks = (data.Length + 15) / 16;
        Span<byte> iv = stackalloc byte[16];
        salt.AsSpan(0, 14).CopyTo(iv);
        iv[14] = iv[15] = 0;
        iv[4] ^= (byte)(ssrc >> 24); iv[5] ^= (byte)(ssrc >> 16); iv[6] ^= (byte)(ssrc >> 8); iv[7] ^= (byte)ssrc;
        for (var i = 0; i < 6; i++) iv[8 + i] ^= (byte)(index >> (40 - 8 * i));
        var counters = _counters.AsSpan(0, blocks * 16);
        for (var b = 0; b < blocks; b++)
        {
            var block = counters.Slice(b * 16, 16);
            iv.CopyTo(block);
            block[14] = (byte)(b >> 8);
            block[15] = (byte)b;
        }
        var keystream = _keystream.AsSpan(0, blocks * 16);
        cipher.EncryptEcb(counters, keystream, PaddingMode.None);
        for (var i = 0; i < data.Length; i++) data[i] ^= keystream[i];
    }

    private ref SsrcState StreamOf(uint ssrc) =>
        ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_streams, ssrc, out _);

    public void Dispose()
    {
        _rtpCipher?.Dispose(); _rtcpCipher?.Dispose();
        _rtpGcm?.Dispose(); _rtcpGcm?.Dispose();
        _rtpOpener?.Dispose(); _rtcpOpener?.Dispose();
        _rtpAuth?.Dispose(); _rtcpAuth?.Dispose();
    }

    /// <summary>Per SSRC: where its packet index stands, and (receiving) which indices were already accepted.</summary>
    private struct SsrcState
    {
        public PacketIndexEstimator Index;
        public ReplayWindow Replay;
    }
}

/// <summary>What became of one packet given to <see cref="SrtpContext.UnprotectRtp"/> or <see cref="SrtpContext.UnprotectRtcp"/>.</summary>
public enum SrtpOutcome
{
    Authentic,
    /// <summary>Too short, a broken header, or unencrypted SRTCP where we negotiated encryption.</summary>
    Malformed,
    /// <summary>Its index was accepted before or is behind the replay window (RFC 3711 §3.3.2).</summary>
    Replayed,
    AuthenticationFailed,
}
