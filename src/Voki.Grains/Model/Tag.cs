using System.Text.Json.Serialization;

namespace Voki.Grains.Model;

/// <summary>A call category, nested under an optional parent (reference §2.7). <c>UsageCount</c> is counted when read.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties)]
public sealed record Tag
{
    public const string DefaultColor = "#6b7280";

    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string Color { get; init; } = DefaultColor;
    public Guid? ParentId { get; init; }
    public long UsageCount { get; init; }
    public DateTime InsertedAt { get; init; }
    public DateTime UpdatedAt { get; init; }

    [JsonIgnore] public bool Exists => Id != Guid.Empty;
}

/// <summary>PUT /api/v1/tags/:id: null leaves a field as it is; <c>ClearParent</c> (an explicit null) makes the tag a root.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record TagChanges
{
    public string? Name { get; init; }
    public string? Color { get; init; }
    public Guid? ParentId { get; init; }
    public bool ClearParent { get; init; }
}
