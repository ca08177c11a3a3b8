using System.Text.Json.Serialization;

namespace Voki.Api.Infrastructure;

/// <summary>
/// An update body in which an explicit <c>null</c> clears a nullable field while a field left out stays as it is
/// (a plain DTO cannot tell the two apart). <see cref="RequestBody"/> fills <see cref="SentNull"/>.
/// </summary>
public abstract class PatchBody
{
    [JsonIgnore] public IReadOnlySet<string> SentNull { get; internal set; } = new HashSet<string>();

    /// <summary>The client sent <c>"field": null</c>.</summary>
    public bool Clears(string field) => SentNull.Contains(field);
}
