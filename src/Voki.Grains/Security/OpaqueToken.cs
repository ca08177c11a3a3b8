using System.Security.Cryptography;
using System.Text;

namespace Voki.Grains.Security;

/// <summary>
/// A bearer secret that only the database can recognise (refresh tokens, password reset links): 256 random bits,
/// URL-safe, stored only as its SHA-256, so a leaked table holds nothing anyone can present.
/// </summary>
public static class OpaqueToken
{
    public static string New() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
