using Voki.Grains.Model;

namespace Voki.Api.Infrastructure;

/// <summary>An expected refusal: becomes <c>{"errors":{"detail":…}}</c> with its status code.</summary>
public sealed class ApiException(int status, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    public static ApiException NotFound(string detail = "Not Found") => new(StatusCodes.Status404NotFound, detail);
    public static ApiException Unauthorized() => new(StatusCodes.Status401Unauthorized, "Unauthorized");
    public static ApiException Forbidden() => new(StatusCodes.Status403Forbidden, "Forbidden");
    public static ApiException Unprocessable(string detail) => new(StatusCodes.Status422UnprocessableEntity, detail);
}

/// <summary>Field errors: become 422 <c>{"errors":{"field":["message"]}}</c>.</summary>
public sealed class ValidationException(IReadOnlyDictionary<string, string[]> errors) : Exception("Validation failed")
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    public static ValidationException Single(string field, string message) => new(new Dictionary<string, string[]> { [field] = [message] });
}

public static class OutcomeExtensions
{
    /// <summary>The grain's value, or the grain's refusal raised as the matching API error.</summary>
    public static T Unwrap<T>(this Outcome<T> outcome)
    {
        if (outcome.Failure is not { } failure) return outcome.Value!;
        if (failure.Fields is { Count: > 0 } fields) throw new ValidationException(fields);
        throw failure.Kind switch
        {
            FailureKind.NotFound => ApiException.NotFound(failure.Detail ?? "Not Found"),
            FailureKind.Forbidden => ApiException.Forbidden(),
            FailureKind.Conflict => new ApiException(StatusCodes.Status409Conflict, failure.Detail ?? "Conflict"),
            _ => ApiException.Unprocessable(failure.Detail ?? "Unprocessable Entity"),
        };
    }

    public static async Task<T> Unwrap<T>(this Task<Outcome<T>> outcome) => (await outcome).Unwrap();

    public static T OrNotFound<T>(this T? value, string detail = "Not Found") where T : class => value ?? throw ApiException.NotFound(detail);
}
