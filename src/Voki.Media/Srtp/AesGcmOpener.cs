using System.Security.Cryptography;

namespace Voki.Media.Srtp;

/// <summary>
/// AES-GCM decryption that reports a wrong tag as false instead of an exception (AesGcm.Decrypt throws, which on the
/// receive thread lets forged packets cost an exception each). GCM's counter mode is its own inverse (NIST SP 800-38D
/// §7.2): the plaintext is the ciphertext XOR AES(J0+1, J0+2, …) with J0 = IV || 1 for a 96-bit IV, and encrypting that
/// plaintext again with the same key, IV and AAD gives back the ciphertext and the tag it must carry.
/// Not thread-safe: scratch buffers sized for one datagram.
/// </summary>
public sealed class AesGcmOpener : IDisposable
{
    private const int TagLength = 16, MaxLength = 2048;
    private readonly Aes _ecb = Aes.Create();
    private readonly AesGcm _gcm;
    private readonly byte[] _counters = new byte[MaxLength], _plain = new byte[MaxLength], _again = new byte[MaxLength];
    private readonly byte[] _tag = new byte[TagLength];

    public AesGcmOpener(byte[] key)
    {
        _ecb.Key = key;
        _gcm = new AesGcm(key, TagLength);
    }

    /// <summary>Decrypts <paramref name="data"/> in place when <paramref name="tag"/> is right; false, and nothing changed, when not.</summary>
    public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, Span<byte> data, ReadOnlySpan<byte> tag)
    {
        if (data.Length > MaxLength || nonce.Length != 12 || tag.Length != TagLength) return false;
        var blocks = (data.Length + 15) / 16;
        var counters = _counters.AsSpan(0, blocks * 16);
        for (var b = 0; b < blocks; b++)
        {
            var block = counters.Slice(b * 16, 16);
            nonce.CopyTo(block);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(block[12..], (uint)(b + 2));
        }
        _ecb.EncryptEcb(counters, counters, PaddingMode.None);
        var plain = _plain.AsSpan(0, data.Length);
        for (var i = 0; i < data.Length; i++) plain[i] = (byte)(data[i] ^ counters[i]);
        _gcm.Encrypt(nonce, plain, _again.AsSpan(0, data.Length), _tag, associatedData);
        if (!CryptographicOperations.FixedTimeEquals(_tag, tag)) return false;
        plain.CopyTo(data);
        return true;
    }

    public void Dispose()
    {
        _ecb.Dispose();
        _gcm.Dispose();
    }
}
