using System.Security.Cryptography;
using System.Text;
using OtpNet;

namespace Voki.Grains.Security;

/// <summary>
/// TOTP (RFC 6238: SHA-1, 6 digits, 30 s steps, what every authenticator app takes from an otpauth:// URI) and the
/// single-use recovery codes that stand in for a lost device. Codes are accepted one step either side of now, for clocks
/// that drift; a step once used is never accepted again (RFC 6238 §5.2).
/// </summary>
public static class SecondFactor
{
    public const int RecoveryCodeCount = 10;
    private const string RecoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789";

    public static string NewSecret() => Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20)).TrimEnd('=');

    public static string OtpAuthUri(string secret, string issuer, string account) =>
        $"otpauth://totp/{Uri.EscapeDataString(issuer)}:{Uri.EscapeDataString(account)}?secret={secret}&issuer={Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits=6&period=30";

    /// <summary>The time step the code belongs to, or null when it is no current code of the secret.</summary>
    public static long? MatchingStep(string secret, string code)
    {
        code = code.Trim();
        if (code.Length != 6 || !code.All(char.IsAsciiDigit)) return null;
        var totp = new Totp(Base32Encoding.ToBytes(secret));
        return totp.VerifyTotp(code, out var step, new VerificationWindow(previous: 1, future: 1)) ? step : null;
    }

    /// <summary>Ten codes like "k7mq-2xpa-h3nc", shown once; only their hashes are kept.</summary>
    public static (string[] Codes, string[] Hashes) NewRecoveryCodes()
    {
        var codes = Enumerable.Range(0, RecoveryCodeCount).Select(_ =>
        {
            var chars = Enumerable.Range(0, 12).Select(_ => RecoveryAlphabet[RandomNumberGenerator.GetInt32(RecoveryAlphabet.Length)]).ToArray();
            return $"{new string(chars, 0, 4)}-{new string(chars, 4, 4)}-{new string(chars, 8, 4)}";
        }).ToArray();
        return (codes, codes.Select(HashRecoveryCode).ToArray());
    }

    /// <summary>Case and dashes do not matter, as a person types the code back.</summary>
    public static string HashRecoveryCode(string code) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(new string(code.Where(char.IsAsciiLetterOrDigit).Select(char.ToLowerInvariant).ToArray()))));

    public static bool LooksLikeRecoveryCode(string code) => code.Count(char.IsAsciiLetterOrDigit) == 12;
}
