namespace Voki.Api.Auth;

/// <summary>Configuration section "Auth". The signing key must come from configuration or the environment in production.</summary>
public sealed class AuthOptions
{
    public const string DevelopmentSigningKey = "voki-development-signing-key-change-me-0123456789";

    public string SigningKey { get; set; } = "";
    public string Issuer { get; set; } = "voki";
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(30);
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);
    public TimeSpan CustomerTokenLifetime { get; set; } = TimeSpan.FromHours(4);
    public bool SignupEnabled { get; set; } = true;
}
