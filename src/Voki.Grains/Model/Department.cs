using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

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

public static partial class DepartmentIdentifier
{
    public const int MaxLength = 63;

    /// <summary>"Suporte Técnico" → "suporte-tecnico"; with a suffix, "suporte-tecnico-2" (cut to fit 63 characters).</summary>
    public static string From(string name, int suffix = 1)
    {
        var plain = new StringBuilder();
        foreach (var c in name.Normalize(NormalizationForm.FormD))
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) plain.Append(char.ToLowerInvariant(c));
        var slug = NonSlug().Replace(plain.ToString(), "-").Trim('-');
        if (slug.Length == 0) slug = "department";
        var tail = suffix > 1 ? $"-{suffix}" : "";
        return slug[..Math.Min(slug.Length, MaxLength - tail.Length)].TrimEnd('-') + tail;
    }

    [GeneratedRegex("[^a-z0-9]+")] private static partial Regex NonSlug();
}

/// <summary>PUT /api/v1/departments/:id: null leaves a field as it is; a <c>Clear…</c> flag is an explicit null.</summary>
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
    public bool ClearDescription { get; init; }
    public bool ClearSectorId { get; init; }
    public bool ClearMaxQueueSize { get; init; }
    public bool ClearMaxWaitTime { get; init; }
}
