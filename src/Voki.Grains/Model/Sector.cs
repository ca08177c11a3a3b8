using System.Text.Json.Serialization;

namespace Voki.Grains.Model;

/// <summary>A group of departments (reference §2.6). <c>DepartmentCount</c> is counted when read, never stored.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties)]
public sealed record Sector
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string? Description { get; init; }
    public bool Active { get; init; } = true;
    public int DepartmentCount { get; init; }
    public DateTime InsertedAt { get; init; }
    public DateTime UpdatedAt { get; init; }

    [JsonIgnore] public bool Exists => Id != Guid.Empty;
}

/// <summary>PUT /api/v1/sectors/:id: null leaves a field as it is; <c>ClearDescription</c> is an explicit null.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record SectorChanges
{
    public string? Name { get; init; }
    public string? Description { get; init; }
    public bool ClearDescription { get; init; }
    public bool? Active { get; init; }
}
