using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>
/// Issue 11 item 8, the inputs <see cref="ApiFuzzTests"/> found answered 500: each is now the documented 4xx, or a
/// correct answer, in the error envelope.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class BadInputTests(VokiApp app)
{
    [Theory]
    [InlineData("/api/v1/calls?search=%00")]
    [InlineData("/api/v1/calls?search=a%00b&status=queued")]
    [InlineData("/api/v1/users?search=%00")]
    [InlineData("/api/v1/departments?sort_by=name%00")]
    public async Task A_NUL_in_the_query_is_422_on_that_parameter(string path)
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var response = await s.Owner.Get(path);
        Assert.True(response.Status == HttpStatusCode.UnprocessableEntity, $"{path}: {response.Status} {response.Body}");
        var parameter = path[(path.IndexOf('?') + 1)..path.IndexOf('=')];
        Assert.Equal(["is invalid"], response.FieldErrors(parameter));
    }

    [Fact]
    public async Task A_NUL_in_the_query_of_an_anonymous_request_is_still_401()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var response = await s.Anonymous.Get("/api/v1/calls?search=%00");
        Assert.Equal(HttpStatusCode.Unauthorized, response.Status);
        Assert.Equal("Unauthorized", response.Detail);
    }

    [Theory]
    [InlineData("/api/v1/departments", """{"name":"Sales\u0000"}""", "name")]
    [InlineData("/api/v1/users", """{"name":"A\u0000","email":"nul@example.com","password":"correct-horse-battery"}""", "name")]
    [InlineData("/api/v1/departments", """{"department":{"name":"Sales","description":"\u0000"}}""", "description")]
    [InlineData("/api/v1/access-links/batch", """{"access_links":[{"department_id":"00000000-0000-0000-0000-000000000001","customer_name":"\u0000"}]}""", "customer_name")]
    [InlineData("/api/v1/departments", """{"name":"Sales","description":"\ud800"}""", "description")]
    public async Task A_NUL_or_a_lone_surrogate_in_a_body_field_is_422_on_that_field(string path, string body, string field)
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var response = await s.Owner.Send(HttpMethod.Post, path, null, rawBody: body);
        Assert.True(response.Status == HttpStatusCode.UnprocessableEntity, $"{path} {body}: {response.Status} {response.Body}");
        Assert.Equal(["is invalid"], response.FieldErrors(field));
    }

    [Fact]
    public async Task A_NUL_in_the_login_body_is_422_not_a_server_error()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var response = await s.Anonymous.Send(HttpMethod.Post, "/api/auth/login", null,
            rawBody: $$"""{"email":"owner@{{s.Tenant}}.test","password":"x","tenant":"{{s.Tenant}}\u0000"}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.Status);
        Assert.Equal(["is invalid"], response.FieldErrors("tenant"));
    }

    [Fact]
    public async Task A_null_link_in_a_batch_is_422_on_access_links()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var response = await s.Owner.Send(HttpMethod.Post, "/api/v1/access-links/batch", null,
            rawBody: $$"""{"access_links":[{"department_id":"{{department}}"},null]}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.Status);
        Assert.Equal(["is invalid"], response.FieldErrors("access_links"));
        Assert.Equal(0, (await s.Owner.Get("/api/v1/access-links")).Body!["meta"]!["total_count"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(-2147483648)]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(101)]
    [InlineData(2147483647)]
    public async Task A_batch_count_out_of_range_is_422_on_count_and_creates_nothing(int count)
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var response = await s.Owner.Post("/api/v1/access-links/batch", new { department_id = department, count });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.Status);
        Assert.Equal(["must be between 1 and 100"], response.FieldErrors("count"));
        Assert.Equal(0, (await s.Owner.Get("/api/v1/access-links")).Body!["meta"]!["total_count"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("date_to=9999-12-31")]
    [InlineData("date_to=9999-12-31T23:59:59.9999999Z")]
    [InlineData("date_from=0001-01-01&date_to=9999-12-31")]
    public async Task The_last_representable_day_as_date_to_lists_every_call(string range)
    {
        var s = await Scenario.SignUp(app.CreateClient());
        await s.Join(await s.Department());
        var response = await s.Owner.Get($"/api/v1/calls?{range}");
        Assert.True(response.Status == HttpStatusCode.OK, $"{range}: {response.Status} {response.Body}");
        Assert.Single(response.Data.AsArray());
    }

    [Theory]
    [InlineData("/dashboard/SiloMetadata/not-a-silo")]
    [InlineData("/dashboard/SiloCounters/%20")]
    [InlineData("/dashboard/SiloProperties/1")]
    [InlineData("/dashboard/HistoricalStats/1")]
    public async Task A_malformed_silo_address_in_a_dashboard_url_is_400(string path)
    {
        var response = await new ApiClient(app.CreateClient()).Get(path);
        Assert.True(response.Status == HttpStatusCode.BadRequest, $"{path}: {response.Status} {response.Body}");
        Assert.Equal("Invalid silo address", response.Detail);
    }
}
