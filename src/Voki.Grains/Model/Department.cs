using System.Text.Json.Serialization;

namespace Voki.Grains.Model;

[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties)]
public sealed record Department
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string Identifier { get; init; } = "";
    public string? Description { get; init; }
    public bool Active { get; init; } = true;
    public Guid? SectorId { get; init; }
    public int? MaxQueueSize { get; init; }
    public int? MaxWaitTime { get; init; }
    public int UserCount { get; init; }
    public DateTime InsertedAt { get; init; }
    public DateTime UpdatedAt { get; init; }

    [JsonIgnore] public bool Exists => Id != Guid.Empty;
}

[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record DepartmentChanges
{
    public string? Name { get; init; }
    public string? Identifier { get; init; }
    public string? Description { get; init; }
    public bool? Active { get; init; }
    public Guid? SectorId { get; init; }
    public int? MaxQueueSize { get; init; }
    public int? MaxWaitTime { get; init; }
}
