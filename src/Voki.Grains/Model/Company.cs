using System.Text.Json.Serialization;

namespace Voki.Grains.Model;

[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties)]
public sealed record Company
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string Slug { get; init; } = "";
    public string? Document { get; init; }
    public string? DocumentType { get; init; }
    public string? Email { get; init; }
    public string? Phone { get; init; }
    public string? LogoUrl { get; init; }
    public string PrimaryColor { get; init; } = "#6366f1";
    public int? MaxConcurrentCalls { get; init; }
    public bool RecordingEnabled { get; init; }
    public bool TranscriptionEnabled { get; init; }
    public bool MfaRequired { get; init; }
    public string Plan { get; init; } = "free";
    public string Locale { get; init; } = "pt-BR";
    public string? StripeCustomerId { get; init; }
    public string? StripeSubscriptionId { get; init; }
    public DateTime InsertedAt { get; init; }
    public DateTime UpdatedAt { get; init; }

    [JsonIgnore] public bool Exists => Id != Guid.Empty;
}

/// <summary>The settings a manager may change with PUT /api/v1/company; null leaves a field as it is, a <c>Clear…</c> flag is an explicit null.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record CompanyChanges
{
    public string? Name { get; init; }
    public string? Email { get; init; }
    public string? Phone { get; init; }
    public string? LogoUrl { get; init; }
    public string? PrimaryColor { get; init; }
    public string? Document { get; init; }
    public string? DocumentType { get; init; }
    public string? Locale { get; init; }
    public bool? RecordingEnabled { get; init; }
    public bool? TranscriptionEnabled { get; init; }
    public bool? MfaRequired { get; init; }
    public bool ClearEmail { get; init; }
    public bool ClearPhone { get; init; }
    public bool ClearLogoUrl { get; init; }
    public bool ClearDocument { get; init; }
}
