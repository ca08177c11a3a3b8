using System.Text.Json.Serialization;

namespace Voki.Grains.Model;

public static class AccessLinkStatus
{
    public const string Active = "active", Used = "used", Expired = "expired", Cancelled = "cancelled";
    public static readonly string[] All = [Active, Used, Expired, Cancelled];
}

[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties)]
public sealed record AccessLink
{
    public Guid Id { get; init; }
    public string Token { get; init; } = "";
    public string Url { get; init; } = "";
    /// <summary>Stored status; "expired" is never stored, it is derived from <see cref="ExpiresAt"/> on read.</summary>
    public string Status { get; init; } = AccessLinkStatus.Active;
    public Guid DepartmentId { get; init; }
    public string? DepartmentName { get; init; }
    public string? CustomerName { get; init; }
    public string? CustomerEmail { get; init; }
    public string? CustomerPhone { get; init; }
    public bool SingleUse { get; init; } = true;
    public DateTime? ExpiresAt { get; init; }
    public DateTime? UsedAt { get; init; }
    public Guid? CallId { get; init; }
    public DateTime InsertedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
    /// <summary>The customer the link is for: given at creation, else the one its join matched or created.</summary>
    public Guid? CustomerId { get; init; }

    [JsonIgnore] public bool Exists => Id != Guid.Empty;

    public string EffectiveStatus(DateTime now) =>
        Status == AccessLinkStatus.Active && ExpiresAt is { } expiry && expiry <= now ? AccessLinkStatus.Expired : Status;

    public AccessLink AsOf(DateTime now) => this with { Status = EffectiveStatus(now) };
}

[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record NewAccessLink
{
    public Guid DepartmentId { get; init; }
    public string? CustomerName { get; init; }
    public string? CustomerEmail { get; init; }
    public string? CustomerPhone { get; init; }
    public bool SingleUse { get; init; } = true;
    public DateTime? ExpiresAt { get; init; }
    public string Token { get; init; } = "";
    public string Url { get; init; } = "";
    public Guid? CustomerId { get; init; }
}
