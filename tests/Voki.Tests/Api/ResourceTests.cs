using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class ResourceTests(VokiApp app)
{
    [Fact]
    public async Task Plan_gates_settings_and_counts_users_and_departments()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "free");
        var recording = await s.Owner.Put("/api/v1/company", new { recording_enabled = true });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, recording.Status);
        Assert.NotEmpty(recording.FieldErrors("recording_enabled"));

        await s.Department(new { name = "One" });
        var second = await s.Owner.Post("/api/v1/departments", new { name = "Two" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, second.Status);
        Assert.Contains("Department limit", second.Detail);

        await s.Staff("attendant");
        var third = await s.Owner.Post("/api/v1/users", new { name = "Extra", email = $"extra@{s.Tenant}.test", password = Scenario.Password });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, third.Status);
        Assert.Contains("User limit", third.Detail);

        var plan = await s.Owner.Get("/api/v1/billing/plan");
        Assert.Equal(HttpStatusCode.OK, plan.Status);
        Assert.Equal("free", plan.Data["plan"]!.GetValue<string>());
        Assert.Equal(1, plan.Data["max_concurrent_calls"]!.GetValue<int>());
        Assert.False(plan.Data["recording_enabled"]!.GetValue<bool>());
        Assert.Equal(2, plan.Data["usage"]!["active_users"]!.GetValue<int>());
        Assert.Equal(1, plan.Data["usage"]!["active_departments"]!.GetValue<int>());
    }

    [Fact]
    public async Task Advanced_plan_turns_on_recording_and_transcription()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "advanced");
        var company = await s.Owner.Put("/api/v1/company", new { company = new { recording_enabled = true, transcription_enabled = true } });
        Assert.Equal(HttpStatusCode.OK, company.Status);
        Assert.True(company.Data["recording_enabled"]!.GetValue<bool>());
        Assert.True((await s.Owner.Get("/api/v1/company")).Data["transcription_enabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Users_are_listed_filtered_and_unique_by_email()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var (_, supervisorId) = await s.Staff("supervisor");
        await s.Staff("attendant");
        var supervisors = await s.Owner.Get("/api/v1/users?role=supervisor");
        Assert.Equal(supervisorId, Assert.Single(supervisors.Data.AsArray())!["id"]!.GetValue<string>());
        Assert.Equal(3, (await s.Owner.Get("/api/v1/users?active=true")).Body!["meta"]!["total_count"]!.GetValue<int>());
        Assert.Single((await s.Owner.Get("/api/v1/users?search=owner@")).Data.AsArray());

        var duplicate = await s.Owner.Post("/api/v1/users", new { user = new { name = "Dup", email = $"OWNER@{s.Tenant}.test", password = Scenario.Password } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, duplicate.Status);
        Assert.Equal(["has already been taken"], duplicate.FieldErrors("email"));

        var renamed = await s.Owner.Put($"/api/v1/users/{supervisorId}", new { user = new { name = "Renamed", role = "manager" } });
        Assert.Equal("Renamed", renamed.Data["name"]!.GetValue<string>());
        Assert.Equal("manager", renamed.Data["role"]!.GetValue<string>());
        Assert.Null(renamed.Data["password_hash"]);
    }

    [Fact]
    public async Task Departments_manage_members_and_delete_when_nothing_was_recorded()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department(new { name = "Suporte Técnico" });
        Assert.Equal("suporte-tecnico", (await s.Owner.Get($"/api/v1/departments/{department}")).Data["identifier"]!.GetValue<string>());
        var duplicate = await s.Owner.Post("/api/v1/departments", new { name = "Other", identifier = "suporte-tecnico" });
        Assert.Equal(["has already been taken"], duplicate.FieldErrors("identifier"));

        var (_, attendantId) = await s.Staff("attendant", department);
        var members = await s.Owner.Get($"/api/v1/departments/{department}/users");
        Assert.Equal(attendantId, Assert.Single(members.Data.AsArray())!["id"]!.GetValue<string>());
        Assert.Equal(1, (await s.Owner.Get($"/api/v1/departments/{department}")).Data["user_count"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NoContent, (await s.Owner.Delete($"/api/v1/departments/{department}/users/{attendantId}")).Status);
        Assert.Empty((await s.Owner.Get($"/api/v1/departments/{department}/users")).Data.AsArray());

        var deactivated = await s.Owner.Put($"/api/v1/departments/{department}", new { active = false });
        Assert.False(deactivated.Data["active"]!.GetValue<bool>());
        var link = await s.Link(department);
        Assert.Equal(HttpStatusCode.NotFound, (await s.Anonymous.Get($"/api/v1/call/{link["token"]}/validate")).Status);

        Assert.Equal(HttpStatusCode.NoContent, (await s.Owner.Delete($"/api/v1/departments/{department}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await s.Owner.Get($"/api/v1/departments/{department}")).Status);
    }

    [Fact]
    public async Task Access_links_batch_filter_and_expire()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var batch = await s.Owner.Post("/api/v1/access-links/batch", new { department_id = department, count = 3 });
        Assert.Equal(HttpStatusCode.Created, batch.Status);
        Assert.Equal(3, batch.Data.AsArray().Count);
        Assert.Equal(3, batch.Data.AsArray().Select(l => l!["token"]!.GetValue<string>()).Distinct().Count());

        var listed = await s.Owner.Post("/api/v1/access-links/batch", new
        {
            access_links = new[] { new { department_id = department, customer_name = "A" }, new { department_id = department, customer_name = "B" } },
        });
        Assert.Equal(2, listed.Data.AsArray().Count);
        var tooMany = await s.Owner.Post("/api/v1/access-links/batch", new { department_id = department, count = 101 });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooMany.Status);

        var soon = DateTime.UtcNow.AddSeconds(2);
        var expiring = await s.Link(department, new { department_id = department, expires_at = soon });
        await Eventually.Holds(async () => (await s.Owner.Get($"/api/v1/access-links/{expiring["id"]}")).Data["status"]!.GetValue<string>() == "expired",
            TimeSpan.FromSeconds(15), "the link reads expired once its expires_at passed");
        Assert.True(DateTime.UtcNow >= soon.AddSeconds(-1), "expired before its time");
        var expired = await s.Owner.Get("/api/v1/access-links?status=expired");
        Assert.Equal(expiring["id"]!.GetValue<string>(), Assert.Single(expired.Data.AsArray())!["id"]!.GetValue<string>());
        Assert.Equal(5, (await s.Owner.Get($"/api/v1/access-links?status=active&department_id={department}")).Body!["meta"]!["total_count"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, (await s.Anonymous.Get($"/api/v1/call/{expiring["token"]}/validate")).Status);

        var past = await s.Owner.Post("/api/v1/access-links", new { department_id = department, expires_at = DateTime.UtcNow.AddDays(-1) });
        Assert.NotEmpty(past.FieldErrors("expires_at"));
        var unknownDepartment = await s.Owner.Post("/api/v1/access-links", new { department_id = Guid.NewGuid() });
        Assert.NotEmpty(unknownDepartment.FieldErrors("department_id"));
    }
}
