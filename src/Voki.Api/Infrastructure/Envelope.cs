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
        meta = new { current_page = page.CurrentPage, page_size = page.PageSize, total_pages = page.TotalPages, total_count = page.TotalCount },
    });

    public static object Error(string detail) => new { errors = new { detail } };

    public static object Errors(IReadOnlyDictionary<string, string[]> fields) => new { errors = fields };
}
