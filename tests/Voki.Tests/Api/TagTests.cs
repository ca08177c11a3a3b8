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
}
