using System.Globalization;
using Voki.Grains.ReadModel;

namespace Voki.Api.Infrastructure;

/// <summary>Parses page, page_size, sort_by and sort_order against one resource's whitelist (decisions.md "Conventions").</summary>
public sealed record Listing(IReadOnlyDictionary<string, string> SortColumns, string DefaultSort, bool DefaultDescending, int DefaultPageSize = 20)
{
    public const int MaxPageSize = 100;

    public ListRequest Parse(IQueryCollection query)
    {
        var v = new Validator();
        var page = Int(query, "page", 1, v);
        var pageSize = Int(query, "page_size", DefaultPageSize, v);
        if (page < 1) v.Add("page", "must be greater than or equal to 1");
        if (pageSize < 1) v.Add("page_size", "must be greater than or equal to 1");
        var sortBy = query["sort_by"].FirstOrDefault() ?? DefaultSort;
        if (!SortColumns.ContainsKey(sortBy)) v.Add("sort_by", $"is invalid; allowed: {string.Join(", ", SortColumns.Keys)}");
        var order = query["sort_order"].FirstOrDefault();
        if (order is not null and not "asc" and not "desc") v.Add("sort_order", "is invalid; allowed: asc, desc");
        v.ThrowIfInvalid();
        return new ListRequest(page, Math.Min(pageSize, MaxPageSize), SortColumns[sortBy], order is null ? DefaultDescending : order == "desc");
    }

    private static int Int(IQueryCollection query, string name, int fallback, Validator v)
    {
        var text = query[name].FirstOrDefault();
        if (text is null) return fallback;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)) return value;
        v.Add(name, "is invalid");
        return fallback;
    }
}

public static class QueryValues
{
    public static Guid? Guid(IQueryCollection query, string name, Validator v)
    {
        var text = query[name].FirstOrDefault();
        if (string.IsNullOrEmpty(text)) return null;
        if (System.Guid.TryParse(text, out var id)) return id;
        v.Add(name, "is invalid");
        return null;
    }

    public static bool? Bool(IQueryCollection query, string name, Validator v)
    {
        var text = query[name].FirstOrDefault();
        if (string.IsNullOrEmpty(text)) return null;
        if (bool.TryParse(text, out var value)) return value;
        v.Add(name, "is invalid");
        return null;
    }

    public static string? OneOf(IQueryCollection query, string name, IEnumerable<string> allowed, Validator v)
    {
        var text = query[name].FirstOrDefault();
        if (string.IsNullOrEmpty(text)) return null;
        v.OneOf(name, text, allowed);
        return text;
    }

    /// <summary>ISO 8601 date or timestamp; a bare date as the upper bound covers that whole day.</summary>
    public static DateTime? Date(IQueryCollection query, string name, bool upperBound, Validator v)
    {
        var text = query[name].FirstOrDefault();
        if (string.IsNullOrEmpty(text)) return null;
        // An upper bound is exclusive, one day or tick past the one given; past the last representable instant
        // it is the last instant itself, which every stored timestamp precedes.
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return upperBound && day == DateOnly.MaxValue ? DateTime.MaxValue
                : day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc).AddDays(upperBound ? 1 : 0);
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
            return upperBound && instant.UtcDateTime == DateTime.MaxValue ? DateTime.MaxValue : instant.UtcDateTime.AddTicks(upperBound ? 1 : 0);
        v.Add(name, "is invalid");
        return null;
    }
}
