using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>Issue 14 item 7: places where the code answered otherwise than the reference and decisions.md say.</summary>
[Collection(ApiCollection.Name)]
public sealed class ContractFixTests(VokiApp app)
{
    [Fact]
    public async Task Departments_of_the_same_name_without_an_identifier_each_get_a_free_one()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "enterprise");
        var identifiers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var created = await s.Owner.Post("/api/v1/departments", new { department = new { name = "Suporte Técnico" } });
            Assert.True(created.Status == HttpStatusCode.Created, $"namesake {i + 1}: {(int)created.Status} {created.Body}");
            identifiers.Add(created.Data["identifier"]!.GetValue<string>());
        }
        Assert.Equal(["suporte-tecnico", "suporte-tecnico-2", "suporte-tecnico-3"], identifiers);

        // An identifier the client sends is theirs: taken, it is refused on that field.
        var sent = await s.Owner.Post("/api/v1/departments", new { name = "Other", identifier = "suporte-tecnico-2" });
        Assert.Equal(["has already been taken"], sent.FieldErrors("identifier"));

        var longName = new string('x', 70);
        var firstLong = (await s.Owner.Post("/api/v1/departments", new { name = longName })).Data["identifier"]!.GetValue<string>();
        var secondLong = (await s.Owner.Post("/api/v1/departments", new { name = longName })).Data["identifier"]!.GetValue<string>();
        Assert.Equal(new string('x', 63), firstLong);
        Assert.Equal(new string('x', 61) + "-2", secondLong);
    }

    [Fact]
    public async Task Namesakes_created_at_once_each_get_their_own_identifier()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "enterprise");
        var created = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => s.Owner.Post("/api/v1/departments", new { name = "Vendas" })));
        Assert.All(created, c => Assert.True(c.Status == HttpStatusCode.Created, $"{(int)c.Status} {c.Body}"));
        Assert.Equal(["vendas", "vendas-2", "vendas-3", "vendas-4", "vendas-5", "vendas-6"],
            created.Select(c => c.Data["identifier"]!.GetValue<string>()).OrderBy(i => i.Length).ThenBy(i => i, StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_departments_user_count_is_the_same_in_its_list_item_and_its_get()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department(new { name = "Counted" });
        await s.Staff("attendant", department);
        var (_, leaving) = await s.Staff("attendant", department);
        Assert.Equal(2, (await s.Owner.Get($"/api/v1/departments/{department}")).Data["user_count"]!.GetValue<int>());

        // Deactivating a member is a change to the user, not to the department.
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put($"/api/v1/users/{leaving}", new { active = false })).Status);
        var listed = Assert.Single((await s.Owner.Get("/api/v1/departments")).Data.AsArray())!;
        var got = (await s.Owner.Get($"/api/v1/departments/{department}")).Data;
        Assert.Equal(1, listed["user_count"]!.GetValue<int>());
        Assert.Equal(1, got["user_count"]!.GetValue<int>());
        Assert.Equal(1, (await s.Owner.Put($"/api/v1/departments/{department}", new { description = "Still one" })).Data["user_count"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put($"/api/v1/users/{leaving}", new { active = true })).Status);
        Assert.Equal(2, (await s.Owner.Get($"/api/v1/departments/{department}")).Data["user_count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Nullable_fields_are_cleared_by_null_and_kept_when_left_out()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department(new { name = "Limits", description = "Busy", max_queue_size = 20, max_wait_time = 300 });
        var cleared = await s.Owner.Put($"/api/v1/departments/{department}",
            new { department = new { max_queue_size = (int?)null, max_wait_time = (int?)null } });
        Assert.Equal(HttpStatusCode.OK, cleared.Status);
        Assert.Null(cleared.Data["max_queue_size"]);
        Assert.Null(cleared.Data["max_wait_time"]);
        Assert.Equal("Busy", cleared.Data["description"]!.GetValue<string>());
        var again = (await s.Owner.Get($"/api/v1/departments/{department}")).Data;
        Assert.Null(again["max_queue_size"]);
        Assert.Null(Assert.Single((await s.Owner.Get("/api/v1/departments")).Data.AsArray())!["max_wait_time"]);
        Assert.Null((await s.Owner.Put($"/api/v1/departments/{department}", new { description = (string?)null })).Data["description"]);
        Assert.Equal(["can't be blank"], (await s.Owner.Put($"/api/v1/departments/{department}", new { name = (string?)null })).FieldErrors("name"));
        Assert.Equal("Limits", (await s.Owner.Get($"/api/v1/departments/{department}")).Data["name"]!.GetValue<string>());

        var company = await s.Owner.Put("/api/v1/company",
            new { company = new { logo_url = "https://cdn.example.test/logo.png", phone = "+5511999999999", email = "contato@example.test" } });
        Assert.Equal("https://cdn.example.test/logo.png", company.Data["logo_url"]!.GetValue<string>());
        var noLogo = await s.Owner.Put("/api/v1/company", new { company = new { logo_url = (string?)null, phone = (string?)null } });
        Assert.Equal(HttpStatusCode.OK, noLogo.Status);
        Assert.Null(noLogo.Data["logo_url"]);
        Assert.Null(noLogo.Data["phone"]);
        Assert.Equal("contato@example.test", noLogo.Data["email"]!.GetValue<string>());
        Assert.Null((await s.Owner.Get("/api/v1/company")).Data["logo_url"]);
        Assert.Equal(["can't be blank"], (await s.Owner.Put("/api/v1/company", new { primary_color = (string?)null })).FieldErrors("primary_color"));

        var (_, attendant) = await s.Staff("attendant");
        Assert.Equal("https://cdn.example.test/a.png",
            (await s.Owner.Put($"/api/v1/users/{attendant}", new { avatar_url = "https://cdn.example.test/a.png" })).Data["avatar_url"]!.GetValue<string>());
        var noAvatar = await s.Owner.Put($"/api/v1/users/{attendant}", new { user = new { avatar_url = (string?)null } });
        Assert.Null(noAvatar.Data["avatar_url"]);
        Assert.Equal("A attendant", noAvatar.Data["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_join_through_a_bad_link_is_the_documented_404_whatever_the_body()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        const string invalid = """{"errors":{"detail":"Invalid or expired access link"}}""";
        foreach (var (what, body, raw) in new (string, object?, string?)[]
        {
            ("no name", new { email = "not-an-email" }, null), ("an empty body", null, null), ("malformed JSON", null, "{\"name\":"),
            ("a valid body", new { name = "Carlos" }, null),
        })
        {
            var joined = await s.Anonymous.Send(HttpMethod.Post, "/api/v1/call/no-such-link/join", body, raw);
            Assert.True(joined.Status == HttpStatusCode.NotFound && joined.Body?.ToJsonString() == invalid,
                $"{what} through an unknown link: {(int)joined.Status} {joined.Body}");
        }
        var cancelled = await s.Link(await s.Department());
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post($"/api/v1/access-links/{cancelled["id"]}/cancel")).Status);
        Assert.Equal(invalid, (await s.Anonymous.Post($"/api/v1/call/{cancelled["token"]}/join", new { email = "x" })).Body?.ToJsonString());

        // Through a good link, the body is checked as before.
        var link = await s.Link(await s.Department());
        Assert.Equal(["can't be blank"], (await s.Anonymous.Post($"/api/v1/call/{link["token"]}/join", new { email = "carlos@example.com" })).FieldErrors("name"));
    }

    [Fact]
    public async Task The_evaluation_answers_rating_comment_as_the_call_names_it()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (attendant, _) = await s.Staff("attendant", department);
        var joined = await s.Join(department);
        var callId = joined["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/start")).Status);
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{callId}/complete")).Status);

        var customer = s.Anonymous.As(joined["websocket_token"]!.GetValue<string>(), null);
        var rated = await customer.Post($"/api/v1/call/evaluate/{callId}", new { rating = 4, comment = "Resolvido" });
        Assert.Equal(HttpStatusCode.OK, rated.Status);
        Assert.Equal("Resolvido", rated.Data["rating_comment"]!.GetValue<string>());
        Assert.Null(rated.Data.AsObject()["comment"]);
        Assert.Equal(4, rated.Data["rating"]!.GetValue<int>());
        var call = (await attendant.Get($"/api/v1/calls/{callId}")).Data;
        Assert.Equal("Resolvido", call["rating_comment"]!.GetValue<string>());

        // The call's own name is accepted in the body too.
        var other = await s.Join(department);
        var otherId = other["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{otherId}/start")).Status);
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{otherId}/complete")).Status);
        var byCallName = await s.Anonymous.As(other["websocket_token"]!.GetValue<string>(), null)
            .Post($"/api/v1/call/evaluate/{otherId}", new { rating = 5, rating_comment = "Ótimo" });
        Assert.Equal("Ótimo", byCallName.Data["rating_comment"]!.GetValue<string>());
    }
}
