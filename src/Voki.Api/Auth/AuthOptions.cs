namespace Voki.Api.Auth;

/// <summary>Configuration section "Auth". The signing key must come from configuration or the environment in production.</summary>
public sealed class AuthOptions
{
    public const string DevelopmentSigningKey = "voki-development-signing-key-change-me-0123456789";

    /// <summary>The key new tokens are signed with (HS256).</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>The <c>kid</c> of <see cref="SigningKey"/>; when empty, derived from the key itself.</summary>
    public string SigningKeyId { get; set; } = "";

    /// <summary>Keys that still verify tokens signed before a rotation, until those tokens expire.</summary>
    public List<VerificationKey> PreviousSigningKeys { get; set; } = [];

    public string Issuer { get; set; } = "voki";
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(30);
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);
    public TimeSpan CustomerTokenLifetime { get; set; } = TimeSpan.FromHours(4);
    public bool SignupEnabled { get; set; } = true;
    /// <summary>How long the link of a forgot-password mail works.</summary>
    public TimeSpan PasswordResetTokenLifetime { get; set; } = TimeSpan.FromMinutes(30);
}

public sealed class VerificationKey
{
    public string Id { get; set; } = "";
    public string Key { get; set; } = "";
}
