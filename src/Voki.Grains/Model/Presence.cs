namespace Voki.Grains.Model;

/// <summary>
/// One socket's presence on a topic, in Phoenix Presence's shape: entries are grouped by key (the user id)
/// and each socket contributes one meta, told apart by its <see cref="PhxRef"/>.
/// </summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record PresenceMeta
{
    public string PhxRef { get; init; } = "";
    public string Name { get; init; } = "";
    public string Role { get; init; } = "";
    /// <summary>ISO 8601 UTC, second precision.</summary>
    public string OnlineAt { get; init; } = "";
}

[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record PresenceEntry
{
    public string Key { get; init; } = "";
    public PresenceMeta Meta { get; init; } = new();
}
