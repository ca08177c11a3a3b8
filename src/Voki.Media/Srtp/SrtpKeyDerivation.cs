using System.Security.Cryptography;

namespace Voki.Media.Srtp;

/// <summary>The AES-CM key derivation function of RFC 3711 §4.3 (key derivation rate 0).</summary>
public static class SrtpKeyDerivation
{
    public const byte RtpEncryption = 0x00, RtpAuthentication = 0x01, RtpSalt = 0x02;
    public const byte RtcpEncryption = 0x03, RtcpAuthentication = 0x04, RtcpSalt = 0x05;

    public static byte[] Derive(ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt, byte label, int length)
    {
        // x = (label || 0^48) XOR master salt, right-aligned in 112 bits; IV = x * 2^16 (RFC 3711 §4.3.1).
        Span<byte> iv = stackalloc byte[16];
        masterSalt[..Math.Min(14, masterSalt.Length)].CopyTo(iv);
        iv[7] ^= label;
        using var aes = Aes.Create();
        aes.Key = masterKey.ToArray();
        var output = new byte[length];
        Span<byte> block = stackalloc byte[16];
        for (var produced = 0; produced < length; produced += 16)
        {
            var counter = produced / 16;
            iv[14] = (byte)(counter >> 8);
            iv[15] = (byte)counter;
            aes.EncryptEcb(iv, block, PaddingMode.None);
            block[..Math.Min(16, length - produced)].CopyTo(output.AsSpan(produced));
        }
        return output;
    }
}
