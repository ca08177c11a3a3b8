using System.Text.Json.Serialization;

namespace Voki.Grains.Model;

public static class CallStatus
{
    public const string Queued = "queued", Active = "active", Completed = "completed", Missed = "missed", Cancelled = "cancelled";
    public static readonly string[] All = [Queued, Active, Completed, Missed, Cancelled];
    public static bool IsFinal(string status) => status is Completed or Missed or Cancelled;
}

public static class RecordingStatus
{
    public const string None = "none", Recording = "recording", Processing = "processing", Ready = "ready", Failed = "failed", Expired = "expired";
}

[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties)]
public sealed record Call
{
    public Guid Id { get; init; }
    public string Status { get; init; } = CallStatus.Queued;
    public string Protocol { get; init; } = "";
    public Guid DepartmentId { get; init; }
    public string? DepartmentName { get; init; }
    public Guid? UserId { get; init; }
    public string? UserName { get; init; }
    public string CustomerName { get; init; } = "";
    public string? CustomerEmail { get; init; }
    public string? CustomerPhone { get; init; }
    public string? Reason { get; init; }
    public Guid? AccessLinkId { get; init; }
    public int? WaitTime { get; init; }
    public int? Duration { get; init; }
    public int? Rating { get; init; }
    public string? RatingComment { get; init; }
    public string? Notes { get; init; }
    public bool HasRecording { get; init; }
    public string RecordingStatus { get; init; } = Model.RecordingStatus.None;
    public DateTime? AssignedAt { get; init; }
    public DateTime? StartedAt { get; init; }
    public DateTime? CompletedAt { get; init; }
    public DateTime InsertedAt { get; init; }
    public DateTime UpdatedAt { get; init; }

    /// <summary>The call's media is being captured under the recordings root, so a grain reactivated on another node
    /// (its media node died) still hands the capture over at completion. Internal: not part of the API's call.</summary>
    [JsonIgnore] public bool Captured { get; init; }
    /// <summary>The silo endpoint of the node whose disk holds the capture.</summary>
    [JsonIgnore] public string? CaptureHolder { get; init; }
    /// <summary>When the capture of a missed or cancelled call that had media is purged (its plan's retention).</summary>
    [JsonIgnore] public DateTime? CaptureExpiresAt { get; init; }
    /// <summary>The customer record the widget join matched or created (reference §2.8). A merge or delete later moves it in
    /// the read model only, which call objects show (CallViews).</summary>
    public Guid? CustomerId { get; init; }

    [JsonIgnore] public bool Exists => Id != Guid.Empty;
}

[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record CustomerDetails
{
    public string Name { get; init; } = "";
    public string? Email { get; init; }
    public string? Phone { get; init; }
    public string? Reason { get; init; }
}

/// <summary>Who is acting on a call: the grain checks the role rules of decisions.md against it.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record Actor
{
    public Guid UserId { get; init; }
    public Role Role { get; init; }
}
