using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>
/// decisions.md "Conventions": page and page_size on every list. A page past the last is an empty page whose meta still
/// tells the truth, however large the page number a client sends; a page number that is not a positive int is a 422.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class PaginationTests(VokiApp app)
{
    /// <summary>Every list of the API, with how many items the arranged tenant has in it.</summary>
    private static async Task<(string Path, int Count)[]> Lists(Scenario s)
    {
        var department = await s.Department();
        await s.Staff("attendant", department);
        await s.Join(department);
        return
        [
            ("/api/v1/calls", 1),
            ("/api/v1/users", 2),
            ("/api/v1/departments", 1),
            ($"/api/v1/departments/{department}/users", 1),
            ("/api/v1/access-links", 1),
        ];
    }

    [Fact]
    public async Task The_largest_page_number_is_an_empty_page_with_true_meta_on_every_list()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        foreach (var (path, count) in await Lists(s))
        {
            var page = await s.Owner.Get($"{path}?page=2147483647&page_size=100");
            Assert.True(page.Status == HttpStatusCode.OK, $"{path}: {page.Status} {page.Body}");
            Assert.Empty(page.Data.AsArray());
            var meta = page.Body!["meta"]!;
            Assert.Equal(int.MaxValue, meta["current_page"]!.GetValue<int>());
            Assert.Equal(100, meta["page_size"]!.GetValue<int>());
            Assert.Equal(count, meta["total_count"]!.GetValue<int>());
            Assert.Equal(1, meta["total_pages"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task A_page_just_past_the_last_is_empty_and_the_last_one_still_has_its_items()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        foreach (var (path, count) in await Lists(s))
        {
            var last = await s.Owner.Get($"{path}?page={count}&page_size=1");
            Assert.Single(last.Data.AsArray());
            var past = await s.Owner.Get($"{path}?page={count + 1}&page_size=1");
            Assert.Equal(HttpStatusCode.OK, past.Status);
            Assert.Empty(past.Data.AsArray());
            Assert.Equal(count, past.Body!["meta"]!["total_pages"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task Page_numbers_that_are_not_positive_ints_are_422_on_page_on_every_list()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        foreach (var (path, _) in await Lists(s))
            foreach (var page in new[] { "0", "-1", "-2147483648", "2147483648", "9223372036854775807", "1.5", "two" })
            {
                var response = await s.Owner.Get($"{path}?page={page}&page_size=100");
                Assert.True(response.Status == HttpStatusCode.UnprocessableEntity, $"{path}?page={page}: {response.Status} {response.Body}");
                Assert.NotEmpty(response.FieldErrors("page"));
            }
    }
}
