namespace Voki.Grains.Model;

/// <summary>Why a grain refused a request; the API maps each kind to one status code.</summary>
public enum FailureKind { NotFound, Forbidden, Invalid, Conflict }

[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed class Failure
{
    public FailureKind Kind { get; init; }
    public string? Detail { get; init; }
    public Dictionary<string, string[]>? Fields { get; init; }

    public static Failure NotFound(string detail = "Not Found") => new() { Kind = FailureKind.NotFound, Detail = detail };
    public static Failure Forbidden() => new() { Kind = FailureKind.Forbidden, Detail = "Forbidden" };
    public static Failure Invalid(string detail) => new() { Kind = FailureKind.Invalid, Detail = detail };
    public static Failure Conflict(string detail) => new() { Kind = FailureKind.Conflict, Detail = detail };
    public static Failure Field(string field, string message) =>
        new() { Kind = FailureKind.Invalid, Fields = new() { [field] = [message] } };
}

/// <summary>A grain's answer: a value, or the reason there is none. Grains never throw for expected refusals.</summary>
[GenerateSerializer(GenerateFieldIds = GenerateFieldIds.PublicProperties), Immutable]
public sealed class Outcome<T>
{
    public T? Value { get; init; }
    public Failure? Failure { get; init; }

    public static implicit operator Outcome<T>(T value) => new() { Value = value };
    public static implicit operator Outcome<T>(Failure failure) => new() { Failure = failure };
}
