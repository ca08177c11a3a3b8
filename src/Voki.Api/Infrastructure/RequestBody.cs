using System.Text.Json;

namespace Voki.Api.Infrastructure;

/// <summary>
/// Reads a JSON body that may come flat or wrapped in one root key named after the resource
/// (<c>{"department": {…}}</c>). A wrong type becomes a 422 on that field, malformed JSON a 400.
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
            try
            {
                return root.Deserialize<T>(Json.Options) ?? new T();
            }
            catch (JsonException e)
            {
                throw ValidationException.Single(FieldOf(e.Path), "is invalid");
            }
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
