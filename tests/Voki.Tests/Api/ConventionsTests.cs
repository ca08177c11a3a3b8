using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class ConventionsTests(VokiApp app)
{
    [Fact]
    public async Task Lists_page_sort_and_report_meta()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "enterprise");
        foreach (var name in new[] { "Delta", "alpha", "Charlie", "Bravo", "Echo" })
            await s.Department(new { name });

        var page = await s.Owner.Get("/api/v1/departments?page=2&page_size=2");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal(["Charlie", "Delta"], page.Data.AsArray().Select(d => d!["name"]!.GetValue<string>()));
        var meta = page.Body!["meta"]!;
        Assert.Equal(2, meta["current_page"]!.GetValue<int>());
        Assert.Equal(2, meta["page_size"]!.GetValue<int>());
        Assert.Equal(3, meta["total_pages"]!.GetValue<int>());
        Assert.Equal(5, meta["total_count"]!.GetValue<int>());

        var desc = await s.Owner.Get("/api/v1/departments?sort_by=name&sort_order=desc&page_size=1");
        Assert.Equal("Echo", desc.Data[0]!["name"]!.GetValue<string>());

        var capped = await s.Owner.Get("/api/v1/departments?page_size=1000");
        Assert.Equal(100, capped.Body!["meta"]!["page_size"]!.GetValue<int>());

        var badSort = await s.Owner.Get("/api/v1/departments?sort_by=password");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badSort.Status);
        Assert.NotEmpty(badSort.FieldErrors("sort_by"));
        var badPage = await s.Owner.Get("/api/v1/calls?page=zero&sort_order=sideways");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badPage.Status);
        Assert.NotEmpty(badPage.FieldErrors("page"));
        Assert.NotEmpty(badPage.FieldErrors("sort_order"));
    }

    [Fact]
    public async Task Bodies_may_be_flat_or_wrapped_in_the_resource_key()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "enterprise");
        var flat = await s.Owner.Post("/api/v1/departments", new { name = "Flat", max_wait_time = 120 });
        var wrapped = await s.Owner.Post("/api/v1/departments", new { department = new { name = "Wrapped", max_wait_time = 60 } });
        Assert.Equal(HttpStatusCode.Created, flat.Status);
        Assert.Equal(HttpStatusCode.Created, wrapped.Status);
        Assert.Equal(60, wrapped.Data["max_wait_time"]!.GetValue<int>());
        Assert.Equal("wrapped", wrapped.Data["identifier"]!.GetValue<string>());

        var company = await s.Owner.Put("/api/v1/company", new { company = new { name = "Renamed Ltda", primary_color = "#112233" } });
        Assert.Equal(HttpStatusCode.OK, company.Status);
        Assert.Equal("Renamed Ltda", company.Data["name"]!.GetValue<string>());
        Assert.Equal(s.Tenant, company.Data["slug"]!.GetValue<string>());
    }

    [Fact]
    public async Task Wrong_types_and_blank_fields_are_422_per_field()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var wrongType = await s.Owner.Send(HttpMethod.Post, "/api/v1/departments", null, rawBody: "{\"name\":\"X\",\"max_wait_time\":\"soon\"}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrongType.Status);
        Assert.Equal(["is invalid"], wrongType.FieldErrors("max_wait_time"));

        var blank = await s.Owner.Post("/api/v1/departments", new { name = " " });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, blank.Status);
        Assert.Equal(["can't be blank"], blank.FieldErrors("name"));

        var notObject = await s.Owner.Send(HttpMethod.Post, "/api/v1/departments", null, rawBody: "[1,2]");
        Assert.Equal(HttpStatusCode.BadRequest, notObject.Status);
    }

    [Fact]
    public async Task Unknown_routes_and_methods_answer_in_the_envelope()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var unknown = await s.Owner.Get("/api/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("Not Found", unknown.Detail);

        var callId = Guid.NewGuid();
        var delete = await s.Owner.Delete($"/api/v1/calls/{callId}/recording");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.Status);
        Assert.NotNull(delete.Detail);

        var noDeleteUsers = await s.Owner.Delete($"/api/v1/users/{s.OwnerId}");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, noDeleteUsers.Status);
        Assert.Equal("Method Not Allowed", noDeleteUsers.Detail);

        var notAGuid = await s.Owner.Get("/api/v1/calls/not-a-uuid");
        Assert.Equal(HttpStatusCode.NotFound, notAGuid.Status);
        Assert.Equal("Not Found", notAGuid.Detail);
    }

    [Fact]
    public async Task Responses_carry_a_trace_id_and_timestamps_in_utc_seconds()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var me = await s.Owner.Get("/api/v1/users/me");
        Assert.True(me.Message.Headers.Contains("X-Trace-Id"));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", me.Data["inserted_at"]!.GetValue<string>());
    }
}
