using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Voki.Api.Auth;

/// <summary>
/// The current signing key, named by its <c>kid</c> (RFC 7515 §4.1.4) in every token it signs, and the previous
/// keys that still verify: rotating means moving the current key into Auth:PreviousSigningKeys and setting a new one.
/// </summary>
public sealed class SigningKeys
{
    /// <summary>HS256 wants a key at least as long as its output (RFC 7518 §3.2).</summary>
    public const int MinimumKeyBytes = 32;

    public SymmetricSecurityKey Current { get; }
    public IReadOnlyList<SymmetricSecurityKey> Verifying { get; }

    public SigningKeys(AuthOptions options)
    {
        Current = Key(options.SigningKeyId, options.SigningKey);
        Verifying = [Current, .. options.PreviousSigningKeys.Where(k => k.Key.Length > 0).Select(k => Key(k.Id, k.Key))];
    }

    private static SymmetricSecurityKey Key(string id, string secret) => new(Encoding.UTF8.GetBytes(secret))
    {
        KeyId = id.Length > 0 ? id : DerivedId(secret),
    };

    /// <summary>A stable id that names the key without revealing it.</summary>
    public static string DerivedId(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("voki-kid:" + secret)))[..16];

    /// <summary>Why the configured keys are unsafe to run with outside Development; empty when they are fine.</summary>
    public static IEnumerable<string> Refusals(AuthOptions options)
    {
        if (string.IsNullOrEmpty(options.SigningKey))
            yield return "Auth:SigningKey is not set. Set Auth__SigningKey to a random secret of at least 32 bytes (e.g. `openssl rand -base64 48`).";
        else if (Unsafe(options.SigningKey) is { } reason)
            yield return $"Auth:SigningKey {reason}. Set Auth__SigningKey to a random secret of at least 32 bytes (e.g. `openssl rand -base64 48`).";
        for (var i = 0; i < options.PreviousSigningKeys.Count; i++)
            if (Unsafe(options.PreviousSigningKeys[i].Key) is { } reason)
                yield return $"Auth:PreviousSigningKeys:{i}:Key {reason}; remove it.";
    }

    private static string? Unsafe(string key) =>
        key == AuthOptions.DevelopmentSigningKey ? "is the development key published in the repository"
        : Encoding.UTF8.GetByteCount(key) < MinimumKeyBytes ? $"is shorter than {MinimumKeyBytes} bytes"
        : null;
}
