using System.Net;
using Npgsql;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>Reference §2.6: sectors group departments; a department's sector_id names one of the tenant's sectors.</summary>
[Collection(ApiCollection.Name)]
public sealed class SectorTests(VokiApp app)
{
    [Fact]
    public async Task Sectors_are_created_listed_by_name_updated_and_deleted()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var created = await s.Owner.Post("/api/v1/sectors", new { sector = new { name = "Comercial", description = "Vendas e propostas" } });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal("Comercial", created.Data["name"]!.GetValue<string>());
        Assert.Equal("Vendas e propostas", created.Data["description"]!.GetValue<string>());
        Assert.True(created.Data["active"]!.GetValue<bool>());
        Assert.Equal(0, created.Data["department_count"]!.GetValue<int>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", created.Data["inserted_at"]!.GetValue<string>());
        var support = await s.Owner.Post("/api/v1/sectors", new { name = "Atendimento" });
        Assert.Equal(HttpStatusCode.Created, support.Status);

        var list = await s.Owner.Get("/api/v1/sectors");
        Assert.Equal(["Atendimento", "Comercial"], list.Data.AsArray().Select(x => x!["name"]!.GetValue<string>()));
        Assert.Equal(2, list.Body!["meta"]!["total_count"]!.GetValue<int>());
        Assert.Equal(20, list.Body!["meta"]!["page_size"]!.GetValue<int>());
        var descending = await s.Owner.Get("/api/v1/sectors?sort_by=name&sort_order=desc&page_size=1");
        Assert.Equal("Comercial", Assert.Single(descending.Data.AsArray())!["name"]!.GetValue<string>());
        Assert.Equal(2, descending.Body!["meta"]!["total_pages"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await s.Owner.Get("/api/v1/sectors?sort_by=department_name")).Status);

        var duplicate = await s.Owner.Post("/api/v1/sectors", new { sector = new { name = "comercial" } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, duplicate.Status);
        Assert.Equal(["has already been taken"], duplicate.FieldErrors("name"));
        Assert.Equal(["can't be blank"], (await s.Owner.Post("/api/v1/sectors", new { sector = new { description = "no name" } })).FieldErrors("name"));

        var cleared = await s.Owner.Put($"/api/v1/sectors/{created.Id}", new { sector = new { description = (string?)null, active = false } });
        Assert.Equal(HttpStatusCode.OK, cleared.Status);
        Assert.Null(cleared.Data["description"]);
        Assert.False(cleared.Data["active"]!.GetValue<bool>());
        Assert.Equal("Comercial", cleared.Data["name"]!.GetValue<string>());
        var renamed = await s.Owner.Put($"/api/v1/sectors/{created.Id}", new { name = "Vendas" });
        Assert.Equal("Vendas", renamed.Data["name"]!.GetValue<string>());
        Assert.False(renamed.Data["active"]!.GetValue<bool>());
        Assert.Equal("Vendas", (await s.Owner.Get($"/api/v1/sectors/{created.Id}")).Data["name"]!.GetValue<string>());
        Assert.Equal(["Atendimento"], (await s.Owner.Get("/api/v1/sectors?active=true")).Data.AsArray().Select(x => x!["name"]!.GetValue<string>()));

        Assert.Equal(HttpStatusCode.NoContent, (await s.Owner.Delete($"/api/v1/sectors/{created.Id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await s.Owner.Get($"/api/v1/sectors/{created.Id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await s.Owner.Delete($"/api/v1/sectors/{created.Id}")).Status);
        Assert.Equal(1, (await s.Owner.Get("/api/v1/sectors")).Body!["meta"]!["total_count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_departments_sector_must_exist_is_counted_can_be_cleared_and_keeps_the_sector_from_being_deleted()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var sector = (await s.Owner.Post("/api/v1/sectors", new { sector = new { name = "Suporte" } })).Id;

        var unknown = await s.Owner.Post("/api/v1/departments", new { name = "Nowhere", sector_id = Guid.NewGuid() });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.Status);
        Assert.Equal(["does not exist"], unknown.FieldErrors("sector_id"));

        var first = await s.Department(new { department = new { name = "Nível 1", sector_id = sector } });
        var second = await s.Department(new { name = "Nível 2" });
        Assert.Equal(sector, (await s.Owner.Get($"/api/v1/departments/{first}")).Data["sector_id"]!.GetValue<string>());
        var moved = await s.Owner.Put($"/api/v1/departments/{second}", new { sector_id = sector });
        Assert.Equal(sector, moved.Data["sector_id"]!.GetValue<string>());
        Assert.Equal(["does not exist"], (await s.Owner.Put($"/api/v1/departments/{second}", new { sector_id = Guid.NewGuid() })).FieldErrors("sector_id"));
        Assert.Equal(sector, (await s.Owner.Get($"/api/v1/departments/{second}")).Data["sector_id"]!.GetValue<string>());

        Assert.Equal(2, (await s.Owner.Get($"/api/v1/sectors/{sector}")).Data["department_count"]!.GetValue<int>());
        Assert.Equal(2, Assert.Single((await s.Owner.Get("/api/v1/sectors")).Data.AsArray())!["department_count"]!.GetValue<int>());

        var refused = await s.Owner.Delete($"/api/v1/sectors/{sector}");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
        Assert.Equal("Sector has departments and cannot be deleted; move or delete them first: Nível 1, Nível 2", refused.Detail);
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Get($"/api/v1/sectors/{sector}")).Status);

        // null clears the sector; a field left out stays as it is.
        var cleared = await s.Owner.Put($"/api/v1/departments/{first}", new { department = new { sector_id = (string?)null } });
        Assert.Equal(HttpStatusCode.OK, cleared.Status);
        Assert.Null(cleared.Data["sector_id"]);
        Assert.Null((await s.Owner.Get($"/api/v1/departments/{first}")).Data["sector_id"]);
        Assert.Equal(sector, (await s.Owner.Put($"/api/v1/departments/{second}", new { description = "kept" })).Data["sector_id"]!.GetValue<string>());
        Assert.Equal(1, (await s.Owner.Get($"/api/v1/sectors/{sector}")).Data["department_count"]!.GetValue<int>());
        Assert.Equal("Sector has departments and cannot be deleted; move or delete them first: Nível 2", (await s.Owner.Delete($"/api/v1/sectors/{sector}")).Detail);

        Assert.Equal(HttpStatusCode.NoContent, (await s.Owner.Delete($"/api/v1/departments/{second}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await s.Owner.Delete($"/api/v1/sectors/{sector}")).Status);
        Assert.Equal(["does not exist"], (await s.Owner.Put($"/api/v1/departments/{first}", new { sector_id = sector })).FieldErrors("sector_id"));
    }

    /// <summary>
    /// Before sectors existed, sector_id was stored unchecked; migration 0018 cleared those values in the read model, but
    /// the department's own state still names nothing. Its next update drops that sector instead of refusing.
    /// </summary>
    [Fact]
    public async Task A_department_whose_stored_sector_names_nothing_loses_it_on_its_next_update()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var sector = (await s.Owner.Post("/api/v1/sectors", new { name = "Legado" })).Id;
        var department = await s.Department(new { name = "Antigo", sector_id = sector });
        await using (var db = new NpgsqlConnection(app.ConnectionString))
        {
            await db.OpenAsync();
            foreach (var (sql, id) in new[] { ("UPDATE departments SET sector_id = NULL WHERE tenant = $1 AND id = $2", department), ("DELETE FROM sectors WHERE tenant = $1 AND id = $2", sector) })
            {
                await using var orphan = new NpgsqlCommand(sql, db);
                orphan.Parameters.AddWithValue(s.Tenant); orphan.Parameters.AddWithValue(Guid.Parse(id));
                Assert.Equal(1, await orphan.ExecuteNonQueryAsync());
            }
        }

        var updated = await s.Owner.Put($"/api/v1/departments/{department}", new { description = "Still here" });
        Assert.True(updated.Status == HttpStatusCode.OK, $"{(int)updated.Status} {updated.Body}");
        Assert.Null(updated.Data["sector_id"]);
        Assert.Equal("Still here", updated.Data["description"]!.GetValue<string>());
        Assert.Null((await s.Owner.Get($"/api/v1/departments/{department}")).Data["sector_id"]);
        // Naming the missing sector on purpose is still refused.
        Assert.Equal(["does not exist"], (await s.Owner.Put($"/api/v1/departments/{department}", new { sector_id = sector })).FieldErrors("sector_id"));
    }
}
