using System.Net;
using System.Text.Json.Nodes;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>Customers (reference §2.8; decisions.md "Customers"): CRUD, search, documents, the widget join's match, merge.</summary>
[Collection(ApiCollection.Name)]
public sealed class CustomerTests(VokiApp app)
{
    [Fact]
    public async Task A_customer_is_created_read_searched_updated_and_deleted()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var (attendant, _) = await s.Staff("attendant");

        var created = await attendant.Post("/api/v1/customers", new
        {
            customer = new { name = "Carlos Ferreira", email = "carlos@email.com", phone = "+5511999998888", document = "52998224725", notes = "Cliente preferencial" },
        });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var carlos = created.Data;
        Assert.Equal("529.982.247-25", carlos["document"]!.GetValue<string>());
        Assert.Equal(0, carlos["call_count"]!.GetValue<int>());
        Assert.Null(carlos["last_call_at"]);
        Assert.Equal(
            ["id", "name", "email", "phone", "document", "notes", "call_count", "last_call_at", "inserted_at", "updated_at"],
            carlos.AsObject().Select(p => p.Key).ToArray());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", carlos["inserted_at"]!.GetValue<string>());

        var company = await attendant.Post("/api/v1/customers", new { name = "Avanter Ltda", document = "11.222.333/0001-81", phone = "+5521988887777" });
        Assert.Equal("11.222.333/0001-81", company.Data["document"]!.GetValue<string>());
        await attendant.Post("/api/v1/customers", new { name = "ana souza", email = "ana@example.org" });

        Assert.Equal(["ana souza", "Avanter Ltda", "Carlos Ferreira"], Names(await attendant.Get("/api/v1/customers")));
        Assert.Equal(["Carlos Ferreira", "Avanter Ltda", "ana souza"], Names(await attendant.Get("/api/v1/customers?sort_order=desc")));
        foreach (var (search, expected) in new[] { ("ferreira", "Carlos Ferreira"), ("EXAMPLE.ORG", "ana souza"), ("21988887777", "Avanter Ltda") })
        {
            var found = await attendant.Get($"/api/v1/customers?search={Uri.EscapeDataString(search)}");
            Assert.Equal([expected], Names(found));
            Assert.Equal(1, found.Body!["meta"]!["total_count"]!.GetValue<int>());
        }
        Assert.Empty(Names(await attendant.Get("/api/v1/customers?search=%25")));
        Assert.Equal(["sort_by"], (await attendant.Get("/api/v1/customers?sort_by=document")).Body!["errors"]!.AsObject().Select(e => e.Key));

        var id = carlos["id"]!.GetValue<string>();
        var updated = await attendant.Put($"/api/v1/customers/{id}", new { customer = new { email = (string?)null, notes = "VIP" } });
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.Null(updated.Data["email"]);
        Assert.Equal("VIP", updated.Data["notes"]!.GetValue<string>());
        Assert.Equal("Carlos Ferreira", updated.Data["name"]!.GetValue<string>());
        Assert.Equal("+5511999998888", updated.Data["phone"]!.GetValue<string>());
        Assert.Equal("529.982.247-25", (await attendant.Get($"/api/v1/customers/{id}")).Data["document"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.NoContent, (await attendant.Delete($"/api/v1/customers/{id}")).Status);
        var gone = await attendant.Get($"/api/v1/customers/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        Assert.Equal("Not Found", gone.Detail);
        Assert.Equal(HttpStatusCode.NotFound, (await attendant.Delete($"/api/v1/customers/{id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await attendant.Put($"/api/v1/customers/{id}", new { name = "Back" })).Status);
    }

    [Theory]
    [InlineData("529.982.247-24")] // the last check digit off by one
    [InlineData("529.982.247-35")] // the first one
    [InlineData("111.111.111-11")] // a run of one digit passes the arithmetic, but is no one's CPF
    [InlineData("11.222.333/0001-82")]
    [InlineData("00000000000000")]
    [InlineData("5299822472")] // ten digits
    [InlineData("529.982.247-2X")]
    [InlineData("not a document")]
    public async Task A_document_that_is_no_valid_CPF_or_CNPJ_is_refused_on_the_field(string document)
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var refused = await s.Owner.Post("/api/v1/customers", new { name = "Someone", document });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
        Assert.Equal("""{"errors":{"document":["is not a valid CPF or CNPJ"]}}""", refused.Body!.ToJsonString());

        var customer = await s.Owner.Post("/api/v1/customers", new { name = "Someone", document = "111.444.777-35" });
        var id = customer.Id;
        var update = await s.Owner.Put($"/api/v1/customers/{id}", new { document });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, update.Status);
        Assert.Equal(["is not a valid CPF or CNPJ"], update.FieldErrors("document"));
        Assert.Equal("111.444.777-35", (await s.Owner.Get($"/api/v1/customers/{id}")).Data["document"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_other_fields_are_validated_like_the_rest_of_the_api()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var refused = await s.Owner.Post("/api/v1/customers", new { email = "not-an-email", phone = "call me" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
        Assert.Equal(["can't be blank"], refused.FieldErrors("name"));
        Assert.Equal(["has invalid format"], refused.FieldErrors("email"));
        Assert.Equal(["has invalid format"], refused.FieldErrors("phone"));
        var id = (await s.Owner.Post("/api/v1/customers", new { name = "Kept" })).Id;
        Assert.Equal(["can't be blank"], (await s.Owner.Put($"/api/v1/customers/{id}", new { name = " " })).FieldErrors("name"));
        Assert.Equal(["is invalid"], (await s.Owner.Put($"/api/v1/customers/{id}", new { name = 12 })).FieldErrors("name"));
    }

    [Fact]
    public async Task A_widget_join_creates_the_customer_then_finds_them_by_email_or_phone_and_calls_and_links_carry_them()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();

        var (first, firstLink) = await Join(s, department, new { name = "Carla", email = "carla@example.com", reason = "Boleto" });
        var customers = await s.Owner.Get("/api/v1/customers");
        var carla = Assert.Single(customers.Data.AsArray())!;
        var carlaId = carla["id"]!.GetValue<string>();
        Assert.Equal("Carla", carla["name"]!.GetValue<string>());
        Assert.Equal("carla@example.com", carla["email"]!.GetValue<string>());
        Assert.Equal(1, carla["call_count"]!.GetValue<int>());
        Assert.Equal(carlaId, (await s.Owner.Get($"/api/v1/calls/{first}")).Data["customer_id"]!.GetValue<string>());
        Assert.Equal(carlaId, (await s.Owner.Get($"/api/v1/access-links/{firstLink}")).Data["customer_id"]!.GetValue<string>());

        // The same address in other letters: the same customer, who learns the new name and phone.
        var (second, _) = await Join(s, department, new { name = "Carla Mendes", email = "CARLA@example.com", phone = "+5511912345678" });
        var again = Assert.Single((await s.Owner.Get("/api/v1/customers")).Data.AsArray())!;
        Assert.Equal(carlaId, again["id"]!.GetValue<string>());
        Assert.Equal("Carla Mendes", again["name"]!.GetValue<string>());
        Assert.Equal("+5511912345678", again["phone"]!.GetValue<string>());
        Assert.Equal("carla@example.com", again["email"]!.GetValue<string>());
        Assert.Equal(2, again["call_count"]!.GetValue<int>());
        var secondCall = (await s.Owner.Get($"/api/v1/calls/{second}")).Data;
        Assert.Equal(carlaId, secondCall["customer_id"]!.GetValue<string>());
        Assert.Equal(secondCall["inserted_at"]!.GetValue<string>(), again["last_call_at"]!.GetValue<string>());

        // Without an e-mail, the phone finds her; a new e-mail is only learnt by a customer who had none.
        await Join(s, department, new { name = "Carla M.", phone = "+5511912345678" });
        await Join(s, department, new { name = "Carla M.", phone = "+5511912345678", email = "other@example.com" });
        var byPhone = Assert.Single((await s.Owner.Get("/api/v1/customers")).Data.AsArray())!;
        Assert.Equal(4, byPhone["call_count"]!.GetValue<int>());
        Assert.Equal("carla@example.com", byPhone["email"]!.GetValue<string>());

        // Someone else is someone else; the calls list names each call's customer.
        var (other, _) = await Join(s, department, new { name = "Bruno", email = "bruno@example.com" });
        var list = (await s.Owner.Get("/api/v1/customers?sort_by=call_count&sort_order=desc")).Data.AsArray();
        Assert.Equal(["Carla M.", "Bruno"], list.Select(c => c!["name"]!.GetValue<string>()));
        var calls = (await s.Owner.Get("/api/v1/calls?page_size=100")).Data.AsArray().ToDictionary(c => c!["id"]!.GetValue<string>(), c => c!["customer_id"]!.GetValue<string>());
        Assert.Equal(5, calls.Count);
        Assert.Equal(list[1]!["id"]!.GetValue<string>(), calls[other]);
        Assert.Equal(4, calls.Values.Count(id => id == carlaId));

        // Her history: the calls list filtered by customer.
        var history = await s.Owner.Get($"/api/v1/calls?customer_id={carlaId}");
        Assert.Equal(4, history.Body!["meta"]!["total_count"]!.GetValue<int>());
        Assert.All(history.Data.AsArray(), c => Assert.Equal(carlaId, c!["customer_id"]!.GetValue<string>()));
        Assert.Equal([other], (await s.Owner.Get($"/api/v1/calls?customer_id={list[1]!["id"]}")).Data.AsArray().Select(c => c!["id"]!.GetValue<string>()));
        Assert.Empty((await s.Owner.Get($"/api/v1/calls?customer_id={Guid.NewGuid()}")).Data.AsArray());
        Assert.Equal(["is invalid"], (await s.Owner.Get("/api/v1/calls?customer_id=carla")).FieldErrors("customer_id"));
    }

    [Fact]
    public async Task A_link_made_for_a_customer_brings_the_join_to_that_customer()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var dora = (await s.Owner.Post("/api/v1/customers", new { name = "Dora", email = "dora@example.com" })).Id;
        var link = await s.Link(department, new { department_id = department, customer_id = dora, single_use = false });
        Assert.Equal(dora, link["customer_id"]!.GetValue<string>());
        var joined = await s.Anonymous.Post($"/api/v1/call/{link["token"]}/join", new { name = "Dora Lima", phone = "+5511900001111" });
        Assert.Equal(HttpStatusCode.OK, joined.Status);
        var call = (await s.Owner.Get($"/api/v1/calls/{joined.Data["call_id"]}")).Data;
        Assert.Equal(dora, call["customer_id"]!.GetValue<string>());
        var customer = (await s.Owner.Get($"/api/v1/customers/{dora}")).Data;
        Assert.Equal("Dora Lima", customer["name"]!.GetValue<string>());
        Assert.Equal("+5511900001111", customer["phone"]!.GetValue<string>());
        Assert.Single((await s.Owner.Get("/api/v1/customers")).Data.AsArray());

        var unknown = await s.Owner.Post("/api/v1/access-links", new { department_id = department, customer_id = Guid.NewGuid() });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.Status);
        Assert.Equal(["does not exist"], unknown.FieldErrors("customer_id"));
    }

    [Fact]
    public async Task A_merge_repoints_calls_and_links_to_the_kept_customer_and_deletes_the_duplicates()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (supervisor, _) = await s.Staff("supervisor");
        var (byEmail, byEmailLink) = await Join(s, department, new { name = "Eva", email = "eva@example.com" });
        var (byPhone, byPhoneLink) = await Join(s, department, new { name = "Eva S.", phone = "+5511955554444" });
        var (byPhone2, _) = await Join(s, department, new { name = "Eva S.", phone = "+5511955554444" });
        Assert.Equal(2, (await s.Owner.Get("/api/v1/customers")).Data.AsArray().Count);
        var kept = Assert.Single((await s.Owner.Get("/api/v1/customers?search=eva@")).Data.AsArray())!["id"]!.GetValue<string>();
        var duplicate = Assert.Single((await s.Owner.Get("/api/v1/customers?search=5554444")).Data.AsArray())!["id"]!.GetValue<string>();
        var unrelated = (await s.Owner.Post("/api/v1/customers", new { name = "Unrelated", document = "529.982.247-25" })).Id;

        // One name that is not the tenant's customer: nothing at all changes.
        var refused = await supervisor.Post("/api/v1/customers/merge", new { primary_id = kept, duplicate_ids = new[] { duplicate, Guid.NewGuid().ToString() } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
        Assert.Equal(["does not exist"], refused.FieldErrors("duplicate_ids"));
        Assert.Equal(duplicate, (await s.Owner.Get($"/api/v1/calls/{byPhone}")).Data["customer_id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Get($"/api/v1/customers/{duplicate}")).Status);
        foreach (var body in new object[]
        {
            new { primary_id = kept, duplicate_ids = Array.Empty<string>() }, new { primary_id = kept, duplicate_ids = new[] { kept } }, new { duplicate_ids = new[] { duplicate } },
        })
            Assert.Equal(HttpStatusCode.UnprocessableEntity, (await supervisor.Post("/api/v1/customers/merge", body)).Status);

        var merged = await supervisor.Post("/api/v1/customers/merge", new { merge = new { primary_id = kept, duplicate_ids = new[] { duplicate, unrelated } } });
        Assert.Equal(HttpStatusCode.OK, merged.Status);
        Assert.Equal(kept, merged.Id);
        Assert.Equal(3, merged.Data["call_count"]!.GetValue<int>());
        Assert.Equal("eva@example.com", merged.Data["email"]!.GetValue<string>());
        Assert.Equal("+5511955554444", merged.Data["phone"]!.GetValue<string>()); // taken from the duplicate
        Assert.Equal("529.982.247-25", merged.Data["document"]!.GetValue<string>());

        foreach (var call in new[] { byEmail, byPhone, byPhone2 })
            Assert.Equal(kept, (await s.Owner.Get($"/api/v1/calls/{call}")).Data["customer_id"]!.GetValue<string>());
        Assert.All((await s.Owner.Get("/api/v1/calls")).Data.AsArray(), c => Assert.Equal(kept, c!["customer_id"]!.GetValue<string>()));
        foreach (var link in new[] { byEmailLink, byPhoneLink })
            Assert.Equal(kept, (await s.Owner.Get($"/api/v1/access-links/{link}")).Data["customer_id"]!.GetValue<string>());
        Assert.Equal([kept], (await s.Owner.Get("/api/v1/customers")).Data.AsArray().Select(c => c!["id"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NotFound, (await s.Owner.Get($"/api/v1/customers/{duplicate}")).Status);

        // The next join of the phone finds the kept customer.
        var (later, _) = await Join(s, department, new { name = "Eva Silva", phone = "+5511955554444" });
        Assert.Equal(kept, (await s.Owner.Get($"/api/v1/calls/{later}")).Data["customer_id"]!.GetValue<string>());

        // Deleting the customer leaves the calls without one, their own copy of the name kept.
        Assert.Equal(HttpStatusCode.NoContent, (await s.Owner.Delete($"/api/v1/customers/{kept}")).Status);
        var orphan = (await s.Owner.Get($"/api/v1/calls/{byPhone}")).Data;
        Assert.Null(orphan["customer_id"]);
        Assert.Equal("Eva S.", orphan["customer_name"]!.GetValue<string>());
        Assert.All((await s.Owner.Get("/api/v1/calls")).Data.AsArray(), c => Assert.Null(c!["customer_id"]));
        Assert.Null((await s.Owner.Get($"/api/v1/access-links/{byEmailLink}")).Data["customer_id"]);
    }

    private static string[] Names(ApiResponse list) => list.Data.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToArray();

    /// <summary>A customer joins through a new link with the widget's form; the call's id and the link's.</summary>
    private static async Task<(string Call, string Link)> Join(Scenario s, string department, object form)
    {
        var link = await s.Link(department);
        var joined = await s.Anonymous.Post($"/api/v1/call/{link["token"]}/join", form);
        Assert.Equal(HttpStatusCode.OK, joined.Status);
        return (joined.Data["call_id"]!.GetValue<string>(), link["id"]!.GetValue<string>());
    }
}
