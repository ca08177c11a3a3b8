using System.Net.Mail;
using System.Text.RegularExpressions;

namespace Voki.Api.Infrastructure;

/// <summary>Collects Ecto-style field messages and raises them together as one 422.</summary>
public sealed partial class Validator
{
    private readonly Dictionary<string, List<string>> _errors = [];

    public Validator Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        if (!list.Contains(message)) list.Add(message);
        return this;
    }

    public Validator Required(string field, string? value) => string.IsNullOrWhiteSpace(value) ? Add(field, "can't be blank") : this;

    public Validator Required<T>(string field, T? value) where T : struct => value is null ? Add(field, "can't be blank") : this;

    public Validator NotBlankIfPresent(string field, string? value) => value is not null && value.Trim().Length == 0 ? Add(field, "can't be blank") : this;

    public Validator MaxLength(string field, string? value, int max) =>
        value is not null && value.Length > max ? Add(field, $"should be at most {max} character(s)") : this;

    public Validator MinLength(string field, string? value, int min) =>
        value is not null && value.Length < min ? Add(field, $"should be at least {min} character(s)") : this;

    public Validator Email(string field, string? value) =>
        !string.IsNullOrEmpty(value) && !(MailAddress.TryCreate(value, out var a) && a.Address == value && value.Contains('.'))
            ? Add(field, "has invalid format") : this;

    public Validator Phone(string field, string? value) =>
        !string.IsNullOrEmpty(value) && !PhonePattern().IsMatch(value) ? Add(field, "has invalid format") : this;

    public Validator Color(string field, string? value) =>
        value is not null && !ColorPattern().IsMatch(value) ? Add(field, "has invalid format") : this;

    public Validator Range(string field, int? value, int min, int max) =>
        value is { } v && (v < min || v > max) ? Add(field, $"must be between {min} and {max}") : this;

    public Validator OneOf(string field, string? value, IEnumerable<string> allowed) =>
        value is not null && !allowed.Contains(value) ? Add(field, "is invalid") : this;

    public Validator Matches(string field, string? value, Regex pattern) =>
        value is not null && !pattern.IsMatch(value) ? Add(field, "has invalid format") : this;

    public void ThrowIfInvalid()
    {
        if (_errors.Count > 0) throw new ValidationException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }

    [GeneratedRegex(@"^\+?[0-9 ()\-]{8,20}$")] private static partial Regex PhonePattern();
    [GeneratedRegex("^#[0-9a-fA-F]{6}$")] private static partial Regex ColorPattern();
}
