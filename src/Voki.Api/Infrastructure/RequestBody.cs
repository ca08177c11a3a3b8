using System.Text.Json;

namespace Voki.Api.Infrastructure;

/// <summary>
/// Reads a JSON body that may come flat or wrapped in one root key named after the resource
/// (<c>{"department": {…}}</c>). A wrong type or a NUL in a text becomes a 422 on that field, malformed JSON a 400.
/// </summary>
public static class RequestBody
{
    private const int MaxBytes = 1 << 20;

    public static async Task<T> ReadAsync<T>(HttpRequest request, string? rootKey = null) where T : new()
    {
        if (request.ContentLength > MaxBytes) throw new ApiException(StatusCodes.Status413PayloadTooLarge, "Request body too large");
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        if (buffer.Length > MaxBytes) throw new ApiException(StatusCodes.Status413PayloadTooLarge, "Request body too large");
        if (buffer.Length == 0) return new T();
        buffer.Position = 0;
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(buffer, cancellationToken: request.HttpContext.RequestAborted);
        }
        catch (JsonException)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, "Malformed JSON body");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new ApiException(StatusCodes.Status400BadRequest, "The body must be a JSON object");
            if (rootKey is not null && root.TryGetProperty(rootKey, out var wrapped) && wrapped.ValueKind == JsonValueKind.Object
                && root.EnumerateObject().Count() == 1)
                root = wrapped;
            if (FieldWithUnstorableText(root, "body") is { } field) throw ValidationException.Single(field, "is invalid");
            T body;
            try
            {
                body = root.Deserialize<T>(Json.Options) ?? new T();
            }
            catch (JsonException e)
            {
                throw ValidationException.Single(FieldOf(e.Path), "is invalid");
            }
            if (body is PatchBody patch)
                patch.SentNull = root.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Null)
                    .Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            return body;
        }
    }

    /// <summary>
    /// The innermost field whose text holds U+0000, which PostgreSQL cannot store (a 500 deep in a write or a lookup
    /// otherwise); no field of this API has a use for one. A lone surrogate cannot be stored either.
    /// </summary>
    private static string? FieldWithUnstorableText(JsonElement element, string field) => element.ValueKind switch
    {
        JsonValueKind.String => !IsStorableText(element) ? field : null,
        JsonValueKind.Object => element.EnumerateObject().Select(p => FieldWithUnstorableText(p.Value, p.Name)).FirstOrDefault(f => f is not null),
        JsonValueKind.Array => element.EnumerateArray().Select(item => FieldWithUnstorableText(item, field)).FirstOrDefault(f => f is not null),
        _ => null,
    };

    private static bool IsStorableText(JsonElement text)
    {
        try
        {
            return !text.GetString()!.Contains('\0');
        }
        catch (InvalidOperationException)
        {
            // GetString refuses an escaped lone surrogate ("\ud800"): not text at all.
            return false;
        }
    }

    // "$.max_wait_time" → "max_wait_time"; "$.company.name" → "name".
    private static string FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$") return "body";
        var last = path.Split('.').Last();
        var bracket = last.IndexOf('[');
        return bracket > 0 ? last[..bracket] : last;
    }
}
