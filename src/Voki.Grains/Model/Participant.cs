namespace Voki.Grains.Model;

/// <summary>Someone in a call's media session: the customer, the attendant, or a supervisor monitoring.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed record Participant
{
    /// <summary>Stable per socket join: "customer" for the call's customer, the user id for staff.</summary>
    public string Id { get; init; } = "";
    public string Role { get; init; } = "";
    public string Name { get; init; } = "";
}
