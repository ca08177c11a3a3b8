using System.Text.Json.Serialization;

namespace Voki.Grains.Webhooks;

/// <summary>A tenant's webhook endpoint (decisions.md "Webhooks"); its secret signs every delivery and is shown once.</summary>
public sealed record Webhook
{
    public Guid Id { get; init; }
    public string Url { get; init; } = "";
    public string[] Events { get; init; } = [];
    public string? Description { get; init; }
    public bool Active { get; init; } = true;
    public DateTime InsertedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
    [JsonIgnore] public string Secret { get; init; } = "";
}

public static class DeliveryStatus
{
    public const string Pending = "pending", Delivered = "delivered", Failed = "failed";
    public static readonly string[] All = [Pending, Delivered, Failed];
}

/// <summary>One event on its way to one webhook: the delivery log's item.</summary>
public sealed record WebhookDelivery
{
    public Guid Id { get; init; }
    public Guid WebhookId { get; init; }
    public Guid EventId { get; init; }
    public string Event { get; init; } = "";
    public string Status { get; init; } = DeliveryStatus.Pending;
    public int AttemptCount { get; init; }
    public int? LastStatusCode { get; init; }
    public string? LastError { get; init; }
    /// <summary>While pending: when the next attempt is due.</summary>
    public DateTime? NextAttemptAt { get; init; }
    public DateTime? DeliveredAt { get; init; }
    public IReadOnlyList<DeliveryAttempt> Attempts { get; init; } = [];
    public DateTime InsertedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

/// <summary>One POST to the receiver: when, its HTTP status (none when it never answered), why it failed, how long it took.</summary>
public sealed record DeliveryAttempt(DateTime At, int? StatusCode, string? Error, int DurationMs);
