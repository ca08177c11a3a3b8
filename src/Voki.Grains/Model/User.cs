using System.Text.Json.Serialization;

namespace Voki.Grains.Model;

[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties)]
public sealed record User
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string Email { get; init; } = "";
    public Role Role { get; init; }
    public bool Active { get; init; } = true;
    public string? AvatarUrl { get; init; }
    public bool MfaEnabled { get; init; }
    public string Locale { get; init; } = "pt-BR";
    public DateTime InsertedAt { get; init; }
    public DateTime UpdatedAt { get; init; }

    [JsonIgnore] public string PasswordHash { get; init; } = "";

    /// <summary>
    /// Raised whenever the user's sessions end (deactivation, a role or password change): tokens carry the version
    /// they were issued under, and one issued under an older version no longer admits its holder anywhere.
    /// </summary>
    [JsonIgnore] public int SessionVersion { get; init; }

    /// <summary>The TOTP secret once MFA is on (SecondFactor).</summary>
    [JsonIgnore] public string? MfaSecret { get; init; }
    /// <summary>A secret handed out for enrolment, until a code from it confirms it.</summary>
    [JsonIgnore] public string? MfaPendingSecret { get; init; }
    [JsonIgnore] public long MfaLastTimeStep { get; init; }
    [JsonIgnore] public string[] RecoveryCodeHashes { get; init; } = [];
    [JsonIgnore] public bool Exists => Id != Guid.Empty;
}

[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record UserChanges
{
    public string? Name { get; init; }
    public string? Email { get; init; }
    public string? Password { get; init; }
    public Role? Role { get; init; }
    public bool? Active { get; init; }
    public string? AvatarUrl { get; init; }
    /// <summary>An explicit null: the user has no avatar any more.</summary>
    public bool ClearAvatarUrl { get; init; }
    public string? Locale { get; init; }
    /// <summary>Only false: a manager turns off the MFA of a user who lost their device; users enrol themselves.</summary>
    public bool? MfaEnabled { get; init; }
}
