using Voki.Grains.ReadModel;

namespace Voki.Api.Infrastructure;

/// <summary>The response shapes of decisions.md "Conventions".</summary>
public static class Envelope
{
    public static IResult Ok<T>(T data) => Results.Json(new { data });

    public static IResult Created<T>(T data) => Results.Json(new { data }, statusCode: StatusCodes.Status201Created);

    public static IResult List<T>(Page<T> page) => Results.Json(new
    {
        data = page.Items,
        meta = new ListMeta(page.CurrentPage, page.PageSize, page.TotalPages, page.TotalCount),
    });

    public static object Error(string detail) => new { errors = new { detail } };

    public static object Errors(IReadOnlyDictionary<string, string[]> fields) => new { errors = fields };
}

/// <summary>The <c>meta</c> block of every list, named so that a route can declare its list type to the OpenAPI document.</summary>
public sealed record ListMeta(int CurrentPage, int PageSize, int TotalPages, long TotalCount);
