using System.Net;
using System.Text.Json.Nodes;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>Reference §2.7 and §2.1: tags nest into a tree, count the calls that carry them, and leave those calls when deleted.</summary>
[Collection(ApiCollection.Name)]
public sealed class TagTests(VokiApp app)
{
    [Fact]
    public async Task Tags_default_their_colour_nest_into_a_tree_and_list_fifty_a_page_by_name()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var (attendant, _) = await s.Staff("attendant");
        var support = await attendant.Post("/api/v1/tags", new { tag = new { name = "Suporte" } });
        Assert.Equal(HttpStatusCode.Created, support.Status);
        Assert.Equal("#6b7280", support.Data["color"]!.GetValue<string>());
        Assert.Null(support.Data["parent_id"]);
        Assert.Equal(0, support.Data["usage_count"]!.GetValue<int>());
        Assert.NotNull(support.Data["inserted_at"]);
        var billing = await attendant.Post("/api/v1/tags", new { name = "Cobrança", color = "#3b82f6" });
        var network = await attendant.Post("/api/v1/tags", new { name = "Rede", parent_id = support.Id });
        var wifi = await attendant.Post("/api/v1/tags", new { name = "Wi-Fi", parent_id = network.Id });
        var access = await attendant.Post("/api/v1/tags", new { name = "Acesso", parent_id = support.Id });
        Assert.Equal(support.Id, network.Data["parent_id"]!.GetValue<string>());

        var list = await attendant.Get("/api/v1/tags");
        Assert.Equal(["Acesso", "Cobrança", "Rede", "Suporte", "Wi-Fi"], list.Data.AsArray().Select(t => t!["name"]!.GetValue<string>()));
        Assert.Equal(50, list.Body!["meta"]!["page_size"]!.GetValue<int>());
        Assert.Equal(["Suporte"], (await attendant.Get("/api/v1/tags?search=suP")).Data.AsArray().Select(t => t!["name"]!.GetValue<string>()));
        Assert.Equal(["Acesso", "Rede"], (await attendant.Get($"/api/v1/tags?parent_id={support.Id}")).Data.AsArray().Select(t => t!["name"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await attendant.Get("/api/v1/tags?sort_by=color")).Status);

        var tree = (await attendant.Get("/api/v1/tags/tree")).Data.AsArray();
        Assert.Equal(["Cobrança", "Suporte"], tree.Select(t => t!["name"]!.GetValue<string>()));
        Assert.Empty(tree[0]!["children"]!.AsArray());
        var supportNode = tree[1]!;
        Assert.Equal(["Acesso", "Rede"], supportNode["children"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()));
        var wifiNode = Assert.Single(supportNode["children"]![1]!["children"]!.AsArray())!;
        Assert.Equal(wifi.Id, wifiNode["id"]!.GetValue<string>());
        Assert.Equal("#6b7280", wifiNode["color"]!.GetValue<string>());

        // Siblings never share a name; the same name under another parent is fine.
        Assert.Equal(["has already been taken"], (await attendant.Post("/api/v1/tags", new { name = "rede", parent_id = support.Id })).FieldErrors("name"));
        Assert.Equal(HttpStatusCode.Created, (await attendant.Post("/api/v1/tags", new { name = "Rede", parent_id = billing.Id })).Status);
        Assert.Equal(["has invalid format"], (await attendant.Post("/api/v1/tags", new { name = "Red", color = "red" })).FieldErrors("color"));
        Assert.Equal(["does not exist"], (await attendant.Post("/api/v1/tags", new { name = "Orphan", parent_id = Guid.NewGuid() })).FieldErrors("parent_id"));

        // A tag can move, but never under itself or its own descendants; null makes it a root.
        foreach (var loop in new[] { network.Id, wifi.Id })
        {
            var refused = await attendant.Put($"/api/v1/tags/{network.Id}", new { parent_id = loop });
            Assert.Equal(["cannot be the tag itself or one of its descendants"], refused.FieldErrors("parent_id"));
        }
        Assert.Equal(["has already been taken"], (await attendant.Put($"/api/v1/tags/{network.Id}", new { parent_id = billing.Id })).FieldErrors("name"));
        var moved = await attendant.Put($"/api/v1/tags/{network.Id}", new { tag = new { parent_id = access.Id } });
        Assert.Equal(access.Id, moved.Data["parent_id"]!.GetValue<string>());
        Assert.Equal("Rede", moved.Data["name"]!.GetValue<string>());
        var root = await attendant.Put($"/api/v1/tags/{network.Id}", new { tag = new { parent_id = (string?)null, color = "#10b981" } });
        Assert.Null(root.Data["parent_id"]);
        Assert.Equal("#10b981", (await attendant.Get($"/api/v1/tags/{network.Id}")).Data["color"]!.GetValue<string>());
        Assert.Equal(["can't be blank"], (await attendant.Put($"/api/v1/tags/{network.Id}", new { name = (string?)null })).FieldErrors("name"));

        // Deleting: supervisor and up; a tag with children stays until they move or go.
        var (supervisor, _) = await s.Staff("supervisor");
        var refusedDelete = await supervisor.Delete($"/api/v1/tags/{network.Id}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refusedDelete.Status);
        Assert.Equal("Tag has child tags and cannot be deleted; move or delete them first: Wi-Fi", refusedDelete.Detail);
        Assert.Equal(HttpStatusCode.NoContent, (await supervisor.Delete($"/api/v1/tags/{wifi.Id}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await supervisor.Delete($"/api/v1/tags/{network.Id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await attendant.Get($"/api/v1/tags/{network.Id}")).Status);
        Assert.DoesNotContain("Wi-Fi", (await attendant.Get("/api/v1/tags/tree")).Body!.ToJsonString());
    }

    [Fact]
    public async Task Calls_carry_their_tags_are_listed_by_tag_and_lose_a_deleted_tag()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (attendant, _) = await s.Staff("attendant", department);
        var first = (await s.Join(department, "Ana Tag"))["call_id"]!.GetValue<string>();
        var second = (await s.Join(department, "Bia Tag"))["call_id"]!.GetValue<string>();
        var billing = (await attendant.Post("/api/v1/tags", new { name = "Cobrança", color = "#ef4444" })).Id;
        var urgent = (await attendant.Post("/api/v1/tags", new { name = "Urgente" })).Id;

        var tagged = await attendant.Post($"/api/v1/calls/{first}/tags", new { tag_id = billing });
        Assert.Equal(HttpStatusCode.Created, tagged.Status);
        Assert.Equal("Cobrança", tagged.Data["name"]!.GetValue<string>());
        Assert.Equal(1, tagged.Data["usage_count"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{first}/tags", new { call_tag = new { tag_id = billing } })).Status);
        Assert.Equal(HttpStatusCode.Created, (await attendant.Post($"/api/v1/calls/{first}/tags", new { tag_id = urgent })).Status);
        Assert.Equal(HttpStatusCode.Created, (await attendant.Post($"/api/v1/calls/{second}/tags", new { tag_id = billing })).Status);
        Assert.Equal(["does not exist"], (await attendant.Post($"/api/v1/calls/{first}/tags", new { tag_id = Guid.NewGuid() })).FieldErrors("tag_id"));
        Assert.Equal(["can't be blank"], (await attendant.Post($"/api/v1/calls/{first}/tags", new { })).FieldErrors("tag_id"));

        var onCall = await attendant.Get($"/api/v1/calls/{first}/tags");
        Assert.Equal(["Cobrança", "Urgente"], onCall.Data.AsArray().Select(t => t!["name"]!.GetValue<string>()));
        Assert.Equal(2, onCall.Data[0]!["usage_count"]!.GetValue<int>());
        var call = (await attendant.Get($"/api/v1/calls/{first}")).Data;
        Assert.Equal(["Cobrança", "Urgente"], call["tags"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()));
        Assert.Equal("#ef4444", call["tags"]![0]!["color"]!.GetValue<string>());
        Assert.Equal(2, (await attendant.Get($"/api/v1/tags/{billing}")).Data["usage_count"]!.GetValue<int>());
        var byUse = await attendant.Get("/api/v1/tags?sort_by=usage_count&sort_order=desc");
        Assert.Equal([2, 1], byUse.Data.AsArray().Select(t => t!["usage_count"]!.GetValue<int>()));

        // The list filters by tag and shows each call's tags.
        string[] Names(JsonNode list) => list.AsArray().Select(c => c!["customer_name"]!.GetValue<string>()).Order().ToArray();
        Assert.Equal(["Ana Tag", "Bia Tag"], Names((await attendant.Get($"/api/v1/calls?tag_id={billing}")).Data));
        var urgentCalls = await attendant.Get($"/api/v1/calls?tag_id={urgent}");
        Assert.Equal(["Ana Tag"], Names(urgentCalls.Data));
        Assert.Equal(2, urgentCalls.Data[0]!["tags"]!.AsArray().Count);
        Assert.Empty((await attendant.Get($"/api/v1/calls?tag_id={Guid.NewGuid()}")).Data.AsArray());
        Assert.Equal(["is invalid"], (await attendant.Get("/api/v1/calls?tag_id=urgent")).FieldErrors("tag_id"));

        Assert.Equal(HttpStatusCode.NoContent, (await attendant.Delete($"/api/v1/calls/{first}/tags/{urgent}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await attendant.Delete($"/api/v1/calls/{first}/tags/{urgent}")).Status);
        Assert.Empty((await attendant.Get($"/api/v1/calls?tag_id={urgent}")).Data.AsArray());

        // An attendant outside the call's department cannot tag it.
        var (outsider, _) = await s.Staff("attendant", await s.Department());
        Assert.Equal(HttpStatusCode.Forbidden, (await outsider.Post($"/api/v1/calls/{first}/tags", new { tag_id = urgent })).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await outsider.Get($"/api/v1/calls/{first}/tags")).Status);

        // Deleting a tag (supervisor) takes it off every call.
        Assert.Equal(HttpStatusCode.Forbidden, (await attendant.Delete($"/api/v1/tags/{billing}")).Status);
        var (supervisor, _) = await s.Staff("supervisor");
        Assert.Equal(HttpStatusCode.NoContent, (await supervisor.Delete($"/api/v1/tags/{billing}")).Status);
        Assert.Empty((await attendant.Get($"/api/v1/calls/{first}")).Data["tags"]!.AsArray());
        Assert.Empty((await attendant.Get($"/api/v1/calls/{second}/tags")).Data.AsArray());
        Assert.Empty((await attendant.Get($"/api/v1/calls?tag_id={billing}")).Data.AsArray());
    }

    [Fact]
    public async Task Supervisors_add_manager_notes_that_the_call_shows_oldest_first()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (attendant, _) = await s.Staff("attendant", department);
        var (supervisor, supervisorId) = await s.Staff("supervisor");
        var call = (await s.Join(department))["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{call}/start")).Status);

        Assert.Equal(HttpStatusCode.Forbidden, (await attendant.Post($"/api/v1/calls/{call}/manager-notes", new { content = "Mine" })).Status);
        var first = await supervisor.Post($"/api/v1/calls/{call}/manager-notes", new { manager_note = new { content = "Greet the customer by name." } });
        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(call, first.Data["call_id"]!.GetValue<string>());
        Assert.Equal(supervisorId, first.Data["user_id"]!.GetValue<string>());
        Assert.Equal("A supervisor", first.Data["user_name"]!.GetValue<string>());
        Assert.Equal("Greet the customer by name.", first.Data["content"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Created, (await s.Owner.Post($"/api/v1/calls/{call}/manager-notes", new { note = "Well handled." })).Status);
        Assert.Equal(["can't be blank"], (await supervisor.Post($"/api/v1/calls/{call}/manager-notes", new { content = " " })).FieldErrors("content"));
        Assert.Equal(["can't be blank"], (await supervisor.Post($"/api/v1/calls/{call}/manager-notes", new { note = "" })).FieldErrors("note"));
        Assert.Equal(HttpStatusCode.NotFound, (await supervisor.Post($"/api/v1/calls/{Guid.NewGuid()}/manager-notes", new { content = "x" })).Status);

        foreach (var reader in new[] { attendant, supervisor })
        {
            var notes = (await reader.Get($"/api/v1/calls/{call}")).Data["manager_notes"]!.AsArray();
            Assert.Equal(["Greet the customer by name.", "Well handled."], notes.Select(n => n!["content"]!.GetValue<string>()));
            Assert.Equal("Owner", notes[1]!["user_name"]!.GetValue<string>());
        }
        var listed = Assert.Single((await supervisor.Get("/api/v1/calls")).Data.AsArray())!;
        Assert.Equal(2, listed["manager_notes"]!.AsArray().Count);
        var completed = await attendant.Post($"/api/v1/calls/{call}/complete", new { notes = "Done" });
        Assert.Equal(2, completed.Data["manager_notes"]!.AsArray().Count);
        Assert.Equal("Done", completed.Data["notes"]!.GetValue<string>());
    }
}
