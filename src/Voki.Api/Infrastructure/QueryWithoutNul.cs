namespace Voki.Api.Infrastructure;

/// <summary>
/// PostgreSQL text cannot hold U+0000, so a NUL in a query value (<c>?search=%00</c>) failed deep inside a query as a
/// 500. No parameter of this API has a use for one: it is refused up front as that parameter's 422, like any bad value.
/// Runs after authorization, so an anonymous request is still the 401 it always was.
/// </summary>
public sealed class QueryWithoutNul(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext http)
    {
        Validator? invalid = null;
        foreach (var (name, values) in http.Request.Query)
            if (values.Any(value => value is not null && value.Contains('\0')))
                (invalid ??= new Validator()).Add(name, "is invalid");
        invalid?.ThrowIfInvalid();
        return next(http);
    }
}
