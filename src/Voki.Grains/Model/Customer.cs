namespace Voki.Grains.Model;

/// <summary>A person the tenant serves (reference §2.8); <c>call_count</c> and <c>last_call_at</c> come from their calls.</summary>
public sealed record Customer
{
    public Guid Id { get; init; }
    public string Name { get; init; } = "";
    public string? Email { get; init; }
    public string? Phone { get; init; }
    public string? Document { get; init; }
    public string? Notes { get; init; }
    public int CallCount { get; init; }
    public DateTime? LastCallAt { get; init; }
    public DateTime InsertedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

/// <summary>An update: only the fields the client sent change; a sent null clears an optional field.</summary>
public sealed record CustomerChanges
{
    public string? Name { get; init; }
    public Optional<string?> Email { get; init; }
    public Optional<string?> Phone { get; init; }
    public Optional<string?> Document { get; init; }
    public Optional<string?> Notes { get; init; }
}

/// <summary>A value the client either sent (possibly null) or left out.</summary>
public readonly record struct Optional<T>(bool IsSet, T Value)
{
    public static implicit operator Optional<T>(T value) => new(true, value);
    public T Or(T current) => IsSet ? Value : current;
}

/// <summary>Who joined through the widget, as the customer record should learn it.</summary>
public sealed record JoiningCustomer(string Name, string? Email, string? Phone);
