using System.Net;
using Voki.Grains.Model;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>
/// decisions.md "Auth": roles attendant &lt; supervisor &lt; manager &lt; owner; below an endpoint's documented minimum
/// role → 403 <c>{"errors":{"detail":"Forbidden"}}</c>. Then the finer rules the grains enforce.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class RoleMatrixTests(VokiApp app)
{
    private const string Forbidden = """{"errors":{"detail":"Forbidden"}}""";

    private static readonly Role[] RolesLowestFirst = [Role.Attendant, Role.Supervisor, Role.Manager, Role.Owner];

    private sealed record Request(string Path, object? Body = null);

    /// <summary>Who acts, in which tenant: <c>Actor</c> is the client of the role being tried.</summary>
    private sealed record Context(World World, ApiClient Actor);

    /// <param name="Route">"METHOD pattern" exactly as the app maps it.</param>
    /// <param name="Min">The documented minimum role (reference §2 tables; decisions.md for cancel and recording).</param>
    /// <param name="Arrange">Makes whatever the request needs (a queued call, a spare department…) and names it.</param>
    /// <param name="Status">What the minimum role and every role above it get.</param>
    /// <param name="Csv">The answer is a CSV download, not a JSON envelope.</param>
    private sealed record Endpoint(string Route, Role Min, Func<Context, Task<Request>> Arrange, int Status, string? Detail = null, bool Csv = false)
    {
        public HttpMethod Method => new(Route[..Route.IndexOf(' ')]);
    }

    private static Func<Context, Task<Request>> At(string path, object? body = null) => _ => Task.FromResult(new Request(path, body));

    /// <summary>Every authenticated endpoint with its documented minimum role.</summary>
    private static readonly Endpoint[] Endpoints =
    [
        // Users (reference §2.4): manager, except the caller's own record.
        new("GET /api/v1/users/me", Role.Attendant, At("/api/v1/users/me"), 200),
        new("GET /api/v1/users/me/departments", Role.Attendant, At("/api/v1/users/me/departments"), 200),
        new("POST /api/v1/users/me/mfa/setup", Role.Attendant, At("/api/v1/users/me/mfa/setup"), 200),
        new("POST /api/v1/users/me/mfa/enable", Role.Attendant, At("/api/v1/users/me/mfa/enable", new { code = "abcdef" }), 422),
        new("POST /api/v1/users/me/mfa/disable", Role.Attendant, At("/api/v1/users/me/mfa/disable", new { code = "123456" }), 422, "MFA is not enabled"),
        // A right current password would end the very session the walk goes on with: the wrong one shows the role is let
        // through to the password check (PasswordTests walks the change itself).
        new("PUT /api/v1/users/me/password", Role.Attendant,
            At("/api/v1/users/me/password", new { current_password = "not-the-password", password = "a-new-password-42" }), 422),
        new("GET /api/v1/users", Role.Manager, At("/api/v1/users"), 200),
        new("POST /api/v1/users", Role.Manager, _ => Task.FromResult(new Request("/api/v1/users",
            new { name = "New attendant", email = $"new-{Guid.NewGuid():N}@example.test", password = Scenario.Password, role = "attendant" })), 201),
        new("GET /api/v1/users/{id:guid}", Role.Manager, c => Task.FromResult(new Request($"/api/v1/users/{c.World.Id(Role.Attendant)}")), 200),
        new("PUT /api/v1/users/{id:guid}", Role.Manager, async c => new Request($"/api/v1/users/{await c.World.SpareUser()}", new { name = "Renamed" }), 200),

        // Departments (reference §2.3): supervisor.
        new("GET /api/v1/departments", Role.Supervisor, At("/api/v1/departments"), 200),
        new("POST /api/v1/departments", Role.Supervisor, _ => Task.FromResult(new Request("/api/v1/departments", new { name = $"Dept {Guid.NewGuid():N}" })), 201),
        new("GET /api/v1/departments/{id:guid}", Role.Supervisor, c => Task.FromResult(new Request($"/api/v1/departments/{c.World.Department}")), 200),
        new("PUT /api/v1/departments/{id:guid}", Role.Supervisor,
            c => Task.FromResult(new Request($"/api/v1/departments/{c.World.Department}", new { description = "Updated" })), 200),
        new("DELETE /api/v1/departments/{id:guid}", Role.Supervisor, async c => new Request($"/api/v1/departments/{await c.World.Owner.SpareDepartment()}"), 204),
        new("GET /api/v1/departments/{id:guid}/users", Role.Supervisor, c => Task.FromResult(new Request($"/api/v1/departments/{c.World.Department}/users")), 200),
        new("POST /api/v1/departments/{id:guid}/users", Role.Supervisor,
            async c => new Request($"/api/v1/departments/{await c.World.Owner.SpareDepartment()}/users", new { user_id = c.World.Id(Role.Attendant) }), 201),
        new("DELETE /api/v1/departments/{id:guid}/users/{userId:guid}", Role.Supervisor, async c =>
        {
            var department = await c.World.Owner.SpareDepartment();
            Assert.Equal(HttpStatusCode.Created, (await c.World.Owner.Post($"/api/v1/departments/{department}/users", new { user_id = c.World.Id(Role.Attendant) })).Status);
            return new Request($"/api/v1/departments/{department}/users/{c.World.Id(Role.Attendant)}");
        }, 204),

        // Sectors (reference §2.6): supervisor.
        new("GET /api/v1/sectors", Role.Supervisor, At("/api/v1/sectors"), 200),
        new("POST /api/v1/sectors", Role.Supervisor, _ => Task.FromResult(new Request("/api/v1/sectors", new { sector = new { name = $"Sector {Guid.NewGuid():N}" } })), 201),
        new("GET /api/v1/sectors/{id:guid}", Role.Supervisor, async c => new Request($"/api/v1/sectors/{await c.World.Owner.SpareSector()}"), 200),
        new("PUT /api/v1/sectors/{id:guid}", Role.Supervisor, async c => new Request($"/api/v1/sectors/{await c.World.Owner.SpareSector()}", new { description = "Updated" }), 200),
        new("DELETE /api/v1/sectors/{id:guid}", Role.Supervisor, async c => new Request($"/api/v1/sectors/{await c.World.Owner.SpareSector()}"), 204),

        // Tags (reference §2.7): attendant; delete is supervisor.
        new("GET /api/v1/tags", Role.Attendant, At("/api/v1/tags"), 200),
        new("GET /api/v1/tags/tree", Role.Attendant, At("/api/v1/tags/tree"), 200),
        new("POST /api/v1/tags", Role.Attendant, _ => Task.FromResult(new Request("/api/v1/tags", new { tag = new { name = $"Tag {Guid.NewGuid():N}" } })), 201),
        new("GET /api/v1/tags/{id:guid}", Role.Attendant, async c => new Request($"/api/v1/tags/{await c.World.Owner.SpareTag()}"), 200),
        new("PUT /api/v1/tags/{id:guid}", Role.Attendant, async c => new Request($"/api/v1/tags/{await c.World.Owner.SpareTag()}", new { color = "#112233" }), 200),
        new("DELETE /api/v1/tags/{id:guid}", Role.Supervisor, async c => new Request($"/api/v1/tags/{await c.World.Owner.SpareTag()}"), 204),

        // Access links (reference §2.10): supervisor.
        new("GET /api/v1/access-links", Role.Supervisor, At("/api/v1/access-links"), 200),
        new("POST /api/v1/access-links", Role.Supervisor, c => Task.FromResult(new Request("/api/v1/access-links", new { department_id = c.World.Department })), 201),
        new("POST /api/v1/access-links/batch", Role.Supervisor,
            c => Task.FromResult(new Request("/api/v1/access-links/batch", new { department_id = c.World.Department, count = 2 })), 201),
        new("GET /api/v1/access-links/{id:guid}", Role.Supervisor, async c => new Request($"/api/v1/access-links/{await c.World.NewLink()}"), 200),
        new("POST /api/v1/access-links/{id:guid}/cancel", Role.Supervisor, async c => new Request($"/api/v1/access-links/{await c.World.NewLink()}/cancel"), 200),

        // Calls (reference §2.1): attendant; cancel is supervisor (decisions.md "Calls").
        new("GET /api/v1/calls", Role.Attendant, At("/api/v1/calls"), 200),
        new("GET /api/v1/calls/{id:guid}", Role.Attendant, async c => new Request($"/api/v1/calls/{await c.World.QueuedCall()}"), 200),
        new("POST /api/v1/calls/{id:guid}/assign", Role.Attendant, async c => new Request($"/api/v1/calls/{await c.World.QueuedCall()}/assign", new { }), 200),
        new("POST /api/v1/calls/{id:guid}/start", Role.Attendant, async c => new Request($"/api/v1/calls/{await c.World.QueuedCall()}/start"), 200),
        new("POST /api/v1/calls/{id:guid}/complete", Role.Attendant, async c =>
        {
            var call = await c.World.QueuedCall();
            Assert.Equal(HttpStatusCode.OK, (await c.Actor.Post($"/api/v1/calls/{call}/start")).Status);
            return new Request($"/api/v1/calls/{call}/complete", new { notes = "Done" });
        }, 200),
        new("POST /api/v1/calls/{id:guid}/cancel", Role.Supervisor, async c => new Request($"/api/v1/calls/{await c.World.QueuedCall()}/cancel"), 200),
        // Call tags (reference §2.1): attendant; manager notes: supervisor.
        new("GET /api/v1/calls/{id:guid}/tags", Role.Attendant, async c => new Request($"/api/v1/calls/{await c.World.QueuedCall()}/tags"), 200),
        new("POST /api/v1/calls/{id:guid}/tags", Role.Attendant,
            async c => new Request($"/api/v1/calls/{await c.World.QueuedCall()}/tags", new { tag_id = await c.World.Owner.SpareTag() }), 201),
        new("DELETE /api/v1/calls/{id:guid}/tags/{tagId:guid}", Role.Attendant, async c =>
        {
            var (call, tag) = (await c.World.QueuedCall(), await c.World.Owner.SpareTag());
            Assert.Equal(HttpStatusCode.Created, (await c.World.Owner.Post($"/api/v1/calls/{call}/tags", new { tag_id = tag })).Status);
            return new Request($"/api/v1/calls/{call}/tags/{tag}");
        }, 204),
        new("POST /api/v1/calls/{id:guid}/manager-notes", Role.Supervisor,
            async c => new Request($"/api/v1/calls/{await c.World.QueuedCall()}/manager-notes", new { content = "Good call" }), 201),
        // No recording exists before the media plane: the documented 404 for whoever may read it.
        new("GET /api/v1/calls/{id:guid}/recording", Role.Attendant,
            async c => new Request($"/api/v1/calls/{await c.World.HandledCall(c.Actor)}/recording"), 404, "Recording not found"),
        new("GET /api/v1/calls/{id:guid}/recording/download", Role.Attendant,
            async c => new Request($"/api/v1/calls/{await c.World.HandledCall(c.Actor)}/recording/download"), 404, "Recording not found"),
        // The recording's audit trail (decisions.md "Recording audit trail"): manager, for any call of the tenant.
        new("GET /api/v1/calls/{id:guid}/recording/audit", Role.Manager,
            async c => new Request($"/api/v1/calls/{await c.World.HandledCall(c.World.Client(Role.Attendant))}/recording/audit"), 200),
        // Call quality (issue 13): supervisor, for any call of the tenant; a call without media has no participants yet.
        new("GET /api/v1/calls/{id:guid}/quality", Role.Supervisor,
            async c => new Request($"/api/v1/calls/{await c.World.HandledCall(c.World.Client(Role.Attendant))}/quality"), 200),
        new("DELETE /api/v1/calls/{id:guid}/recording", Role.Attendant,
            async c => new Request($"/api/v1/calls/{await c.World.QueuedCall()}/recording"), 405, "Recordings cannot be deleted"),
        new("GET /api/v1/calls/{id:guid}/transcript", Role.Attendant,
            async c => new Request($"/api/v1/calls/{await c.World.HandledCall(c.Actor)}/transcript"), 404, "Transcript not found"),
        new("GET /api/v1/calls/{id:guid}/transcript.vtt", Role.Attendant,
            async c => new Request($"/api/v1/calls/{await c.World.HandledCall(c.Actor)}/transcript.vtt"), 404, "Transcript not found"),

        // Customers (reference §2.8): attendant; merge is supervisor.
        new("GET /api/v1/customers", Role.Attendant, At("/api/v1/customers?search=a"), 200),
        new("POST /api/v1/customers", Role.Attendant, At("/api/v1/customers", new { customer = new { name = "Carlos Ferreira", document = "529.982.247-25" } }), 201),
        new("GET /api/v1/customers/{id:guid}", Role.Attendant, async c => new Request($"/api/v1/customers/{await c.World.NewCustomer()}"), 200),
        new("PUT /api/v1/customers/{id:guid}", Role.Attendant,
            async c => new Request($"/api/v1/customers/{await c.World.NewCustomer()}", new { notes = "Cliente preferencial" }), 200),
        new("DELETE /api/v1/customers/{id:guid}", Role.Attendant, async c => new Request($"/api/v1/customers/{await c.World.NewCustomer()}"), 204),
        new("POST /api/v1/customers/merge", Role.Supervisor, async c => new Request("/api/v1/customers/merge",
            new { primary_id = await c.World.NewCustomer(), duplicate_ids = new[] { await c.World.NewCustomer() } }), 200),

        // CSV export (reference §2.14): supervisor.
        new("GET /api/v1/export/calls.csv", Role.Supervisor, At("/api/v1/export/calls.csv?status=queued"), 200, Csv: true),
        new("GET /api/v1/export/customers.csv", Role.Supervisor, At("/api/v1/export/customers.csv"), 200, Csv: true),
        new("GET /api/v1/export/links.csv", Role.Supervisor, At("/api/v1/export/links.csv?status=active"), 200, Csv: true),

        // Analytics (reference §2.13): manager (the world's tenant is on enterprise, with the full analytics).
        new("GET /api/v1/analytics/overview", Role.Manager, At("/api/v1/analytics/overview"), 200),
        new("GET /api/v1/analytics/hourly", Role.Manager, At("/api/v1/analytics/hourly"), 200),
        new("GET /api/v1/analytics/agents", Role.Manager, At("/api/v1/analytics/agents"), 200),
        new("GET /api/v1/analytics/trends", Role.Manager, At("/api/v1/analytics/trends?period=week"), 200),
        new("POST /api/v1/analytics/refresh-views", Role.Manager, At("/api/v1/analytics/refresh-views"), 200),

        // Company and billing (reference §2.5, §2.9): manager.
        new("GET /api/v1/company", Role.Manager, At("/api/v1/company"), 200),
        new("PUT /api/v1/company", Role.Manager, At("/api/v1/company", new { company = new { primary_color = "#123456" } }), 200),
        new("GET /api/v1/billing/plan", Role.Manager, At("/api/v1/billing/plan"), 200),

        // Webhooks (decisions.md "Webhooks"): manager.
        new("GET /api/v1/webhooks", Role.Manager, At("/api/v1/webhooks"), 200),
        new("POST /api/v1/webhooks", Role.Manager, At("/api/v1/webhooks", new { url = World.DeadReceiver, events = new[] { "call.completed" } }), 201),
        new("GET /api/v1/webhooks/{id:guid}", Role.Manager, async c => new Request($"/api/v1/webhooks/{await c.World.NewWebhook()}"), 200),
        new("PUT /api/v1/webhooks/{id:guid}", Role.Manager,
            async c => new Request($"/api/v1/webhooks/{await c.World.NewWebhook()}", new { events = new[] { "call.missed" } }), 200),
        new("DELETE /api/v1/webhooks/{id:guid}", Role.Manager, async c => new Request($"/api/v1/webhooks/{await c.World.NewWebhook()}"), 204),
        new("POST /api/v1/webhooks/{id:guid}/test", Role.Manager, async c => new Request($"/api/v1/webhooks/{await c.World.NewWebhook()}/test"), 202),
        new("GET /api/v1/webhooks/{id:guid}/deliveries", Role.Manager,
            async c => new Request($"/api/v1/webhooks/{await c.World.NewWebhook()}/deliveries"), 200),
    ];

    [Fact]
    public void The_table_names_every_authenticated_route_with_the_role_the_app_demands()
    {
        var routes = AppRoutes.Authenticated(app.Services);
        AppRoutes.AssertSameRoutes(Endpoints.Select(e => e.Route), routes.Select(r => r.Key), "role matrix");
        foreach (var route in routes)
        {
            var documented = Endpoints.Single(e => AppRoutes.Key(e.Route) == route.Key).Min;
            Assert.True(documented == route.MinRole, $"{route.Key}: documented minimum {documented}, the app demands {route.MinRole}");
        }
    }

    [Fact]
    public async Task Each_role_below_the_minimum_is_forbidden_and_the_minimum_role_is_served()
    {
        var w = await World.Build(app);
        foreach (var endpoint in Endpoints)
        {
            var minimum = w.Client(endpoint.Min);
            var request = await endpoint.Arrange(new Context(w, minimum));
            foreach (var role in RolesLowestFirst.Where(r => r < endpoint.Min))
            {
                var refused = await w.Client(role).Send(endpoint.Method, request.Path, request.Body);
                Assert.True(refused.Status == HttpStatusCode.Forbidden && refused.Body?.ToJsonString() == Forbidden,
                    $"{endpoint.Method} {request.Path} as {role}: expected 403 {Forbidden}, got {(int)refused.Status} {refused.Body}");
            }

            // The same request, untouched by the refusals above (a refused DELETE deleted nothing), now succeeds,
            // and so it does for every role above the minimum.
            foreach (var role in RolesLowestFirst.Where(r => r >= endpoint.Min))
            {
                if (role != endpoint.Min) request = await endpoint.Arrange(new Context(w, w.Client(role)));
                var served = await w.Client(role).Send(endpoint.Method, request.Path, request.Body);
                var what = $"{endpoint.Method} {request.Path} as {role}";
                Assert.True(endpoint.Status == (int)served.Status, $"{what}: expected {endpoint.Status}, got {(int)served.Status} {served.Body}");
                if (endpoint.Csv)
                    Assert.True(served.Message.Content.Headers.ContentType?.MediaType == "text/csv", $"{what}: not a CSV download: {served.Message.Content.Headers.ContentType}");
                else if (endpoint.Status is 200 or 201) Assert.True(served.Body?["data"] is not null, $"{what}: no data envelope in {served.Body}");
                if (endpoint.Detail is not null) Assert.Equal(endpoint.Detail, served.Detail);
            }
        }
    }

    [Fact]
    public async Task An_attendant_assigns_calls_only_to_themselves_and_only_in_their_departments()
    {
        var w = await World.Build(app);
        var attendant = w.Client(Role.Attendant);
        var (_, colleague) = await w.Scenario.Staff("attendant", w.Department);

        var call = await w.QueuedCall();
        foreach (var other in new[] { colleague, w.Id(Role.Supervisor) })
            AssertForbidden(await attendant.Post($"/api/v1/calls/{call}/assign", new { user_id = other }));
        var untouched = await w.Owner.Get($"/api/v1/calls/{call}");
        Assert.Null(untouched.Data["user_id"]);
        Assert.Null(untouched.Data["assigned_at"]);

        var self = await attendant.Post($"/api/v1/calls/{call}/assign", new { user_id = w.Id(Role.Attendant) });
        Assert.Equal(HttpStatusCode.OK, self.Status);
        Assert.Equal(w.Id(Role.Attendant), self.Data["user_id"]!.GetValue<string>());

        // A call waiting in a department the attendant does not belong to.
        var elsewhere = await w.Owner.SpareDepartment();
        var foreignCall = (await w.Scenario.Join(elsewhere))["call_id"]!.GetValue<string>();
        AssertForbidden(await attendant.Post($"/api/v1/calls/{foreignCall}/assign", new { }));
        AssertForbidden(await attendant.Post($"/api/v1/calls/{foreignCall}/assign", new { user_id = w.Id(Role.Attendant) }));
        AssertForbidden(await attendant.Post($"/api/v1/calls/{foreignCall}/start"));
        var stillQueued = await w.Owner.Get($"/api/v1/calls/{foreignCall}");
        Assert.Equal("queued", stillQueued.Data["status"]!.GetValue<string>());
        Assert.Null(stillQueued.Data["user_id"]);
    }

    [Fact]
    public async Task A_supervisor_assigns_any_active_member_of_the_department_and_nobody_else()
    {
        var w = await World.Build(app);
        var supervisor = w.Client(Role.Supervisor);
        var (_, member) = await w.Scenario.Staff("attendant", w.Department);
        var (_, outsider) = await w.Scenario.Staff("attendant", await w.Owner.SpareDepartment());
        var (_, leaver) = await w.Scenario.Staff("attendant", w.Department);
        Assert.Equal(HttpStatusCode.OK, (await w.Owner.Put($"/api/v1/users/{leaver}", new { active = false })).Status);

        var call = await w.QueuedCall();
        var assigned = await supervisor.Post($"/api/v1/calls/{call}/assign", new { user_id = member });
        Assert.Equal(HttpStatusCode.OK, assigned.Status);
        Assert.Equal(member, assigned.Data["user_id"]!.GetValue<string>());
        Assert.Equal("queued", assigned.Data["status"]!.GetValue<string>());
        var reassigned = await supervisor.Post($"/api/v1/calls/{call}/assign", new { user_id = w.Id(Role.Attendant) });
        Assert.Equal(w.Id(Role.Attendant), reassigned.Data["user_id"]!.GetValue<string>());

        foreach (var (who, id) in new[] { ("a member of another department", outsider), ("a deactivated member", leaver), ("an unknown user", Guid.NewGuid().ToString()) })
        {
            var refused = await supervisor.Post($"/api/v1/calls/{call}/assign", new { user_id = id });
            Assert.True(refused.Status == HttpStatusCode.UnprocessableEntity, $"assigning {who}: got {(int)refused.Status} {refused.Body}");
            Assert.Equal(new[] { "is not an active member of the department" }, refused.FieldErrors("user_id"));
        }
        Assert.Equal(w.Id(Role.Attendant), (await w.Owner.Get($"/api/v1/calls/{call}")).Data["user_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_manager_cannot_create_promote_or_edit_an_owner()
    {
        var w = await World.Build(app);
        var manager = w.Client(Role.Manager);
        var email = $"would-be-owner-{Guid.NewGuid():N}@example.test";

        AssertForbidden(await manager.Post("/api/v1/users", new { name = "Would-be owner", email, password = Scenario.Password, role = "owner" }));
        Assert.Empty((await w.Owner.Get($"/api/v1/users?search={email}")).Data.AsArray());

        var attendant = w.Id(Role.Attendant);
        AssertForbidden(await manager.Put($"/api/v1/users/{attendant}", new { role = "owner" }));
        Assert.Equal("attendant", (await w.Owner.Get($"/api/v1/users/{attendant}")).Data["role"]!.GetValue<string>());
        AssertForbidden(await manager.Put($"/api/v1/users/{w.Scenario.OwnerId}", new { name = "Renamed by a manager", active = false }));
        var owner = await w.Owner.Get("/api/v1/users/me");
        Assert.Equal("Owner", owner.Data["name"]!.GetValue<string>());
        Assert.True(owner.Data["active"]!.GetValue<bool>());

        // Up to their own role they may: a manager creates a manager, an owner an owner.
        var peer = await manager.Post("/api/v1/users", new { name = "Peer", email = $"peer-{Guid.NewGuid():N}@example.test", password = Scenario.Password, role = "manager" });
        Assert.Equal(HttpStatusCode.Created, peer.Status);
        Assert.Equal("manager", peer.Data["role"]!.GetValue<string>());
        var coOwner = await w.Owner.Post("/api/v1/users", new { name = "Co-owner", email = $"co-{Guid.NewGuid():N}@example.test", password = Scenario.Password, role = "owner" });
        Assert.Equal(HttpStatusCode.Created, coOwner.Status);
    }

    [Fact]
    public async Task Nobody_can_deactivate_or_demote_themselves()
    {
        var w = await World.Build(app);
        foreach (var role in new[] { Role.Manager, Role.Owner })
        {
            var me = w.Client(role);
            foreach (var change in new object[] { new { active = false }, new { user = new { role = "attendant" } } })
            {
                var refused = await me.Put($"/api/v1/users/{w.Id(role)}", change);
                Assert.True(refused.Status == HttpStatusCode.UnprocessableEntity, $"{role}: got {(int)refused.Status} {refused.Body}");
                Assert.Equal("You cannot deactivate or demote yourself", refused.Detail);
            }
            var still = await me.Get("/api/v1/users/me");
            Assert.Equal(HttpStatusCode.OK, still.Status);
            Assert.True(still.Data["active"]!.GetValue<bool>());
            Assert.Equal(role.Name(), still.Data["role"]!.GetValue<string>());
        }
        // Below manager nobody edits users at all, themselves included.
        foreach (var role in new[] { Role.Attendant, Role.Supervisor })
            AssertForbidden(await w.Client(role).Put($"/api/v1/users/{w.Id(role)}", new { active = false }));
    }

    [Fact]
    public async Task An_attendant_neither_sees_nor_lists_calls_of_other_departments()
    {
        var w = await World.Build(app);
        var attendant = w.Client(Role.Attendant);
        var own = await w.QueuedCall();
        var elsewhere = await w.Owner.SpareDepartment();
        var foreign = (await w.Scenario.Join(elsewhere))["call_id"]!.GetValue<string>();

        AssertForbidden(await attendant.Get($"/api/v1/calls/{foreign}"));
        Assert.Equal(HttpStatusCode.OK, (await attendant.Get($"/api/v1/calls/{own}")).Status);
        foreach (var list in new[] { "/api/v1/calls", "/api/v1/calls?status=queued", $"/api/v1/calls?department_id={elsewhere}", "/api/v1/calls?page_size=100" })
        {
            var listed = await attendant.Get(list);
            Assert.Equal(HttpStatusCode.OK, listed.Status);
            var ids = listed.Data.AsArray().Select(c => c!["id"]!.GetValue<string>()).ToList();
            Assert.DoesNotContain(foreign, ids);
            Assert.Equal(ids.Count, listed.Body!["meta"]!["total_count"]!.GetValue<int>());
        }
        Assert.Contains(own, (await attendant.Get("/api/v1/calls?status=queued")).Data.AsArray().Select(c => c!["id"]!.GetValue<string>()));

        // A supervisor sees both, in the same lists.
        var supervisor = w.Client(Role.Supervisor);
        Assert.Equal(HttpStatusCode.OK, (await supervisor.Get($"/api/v1/calls/{foreign}")).Status);
        var all = (await supervisor.Get("/api/v1/calls?status=queued")).Data.AsArray().Select(c => c!["id"]!.GetValue<string>()).ToList();
        Assert.Contains(foreign, all);
        Assert.Contains(own, all);
    }

    [Fact]
    public async Task A_recording_is_for_the_attendant_who_handled_the_call_and_for_supervisors_up()
    {
        var w = await World.Build(app);
        var (colleague, _) = await w.Scenario.Staff("attendant", w.Department);
        var call = await w.HandledCall(colleague);

        // The other attendant of the department sees the call, but not its recording.
        var attendant = w.Client(Role.Attendant);
        Assert.Equal(HttpStatusCode.OK, (await attendant.Get($"/api/v1/calls/{call}")).Status);
        AssertForbidden(await attendant.Get($"/api/v1/calls/{call}/recording"));

        foreach (var reader in new[] { colleague, w.Client(Role.Supervisor), w.Client(Role.Manager), w.Client(Role.Owner) })
        {
            var recording = await reader.Get($"/api/v1/calls/{call}/recording");
            Assert.Equal(HttpStatusCode.NotFound, recording.Status);
            Assert.Equal("""{"errors":{"detail":"Recording not found"}}""", recording.Body!.ToJsonString());
        }
    }

    private static void AssertForbidden(ApiResponse response) =>
        Assert.True(response.Status == HttpStatusCode.Forbidden && response.Body?.ToJsonString() == Forbidden,
            $"expected 403 {Forbidden}, got {(int)response.Status} {response.Body}");

    /// <summary>A tenant with one signed-in client per role; the attendant, supervisor and manager belong to <see cref="Department"/>.</summary>
    private sealed class World
    {
        public required Scenario Scenario { get; init; }
        public required string Department { get; init; }
        public required IReadOnlyDictionary<Role, (ApiClient Client, string Id)> Staff { get; init; }
        public OwnerActions Owner => new(Scenario);

        public ApiClient Client(Role role) => Staff[role].Client;
        public string Id(Role role) => Staff[role].Id;

        public static async Task<World> Build(VokiApp app)
        {
            var s = await Scenario.SignUp(app.CreateClient(), plan: "enterprise");
            var department = await s.Department();
            var staff = new Dictionary<Role, (ApiClient, string)> { [Role.Owner] = (s.Owner, s.OwnerId) };
            foreach (var role in new[] { Role.Attendant, Role.Supervisor, Role.Manager })
                staff[role] = await s.Staff(role.Name(), department);
            return new World { Scenario = s, Department = department, Staff = staff };
        }

        /// <summary>A customer waiting in <see cref="Department"/>, nobody assigned.</summary>
        public async Task<string> QueuedCall() => (await Scenario.Join(Department))["call_id"]!.GetValue<string>();

        /// <summary>A call of <see cref="Department"/> that <paramref name="handler"/> started and completed.</summary>
        public async Task<string> HandledCall(ApiClient handler)
        {
            var call = await QueuedCall();
            Assert.Equal(HttpStatusCode.OK, (await handler.Post($"/api/v1/calls/{call}/start")).Status);
            Assert.Equal(HttpStatusCode.OK, (await handler.Post($"/api/v1/calls/{call}/complete", new { })).Status);
            return call;
        }

        public async Task<string> NewCustomer()
        {
            var created = await Scenario.Owner.Post("/api/v1/customers", new { name = "Spare customer" });
            Assert.Equal(HttpStatusCode.Created, created.Status);
            return created.Id;
        }

        public async Task<string> NewLink() => (await Scenario.Link(Department))["id"]!.GetValue<string>();

        /// <summary>Nothing listens on the discard port: deliveries to it fail at once.</summary>
        public const string DeadReceiver = "http://127.0.0.1:9/hook";

        public async Task<string> NewWebhook()
        {
            var created = await Scenario.Owner.Post("/api/v1/webhooks", new { url = DeadReceiver, events = new[] { "call.created" }, active = false });
            Assert.Equal(HttpStatusCode.Created, created.Status);
            return created.Id;
        }

        public async Task<string> SpareUser()
        {
            var created = await Scenario.Owner.Post("/api/v1/users",
                new { name = "Spare", email = $"spare-{Guid.NewGuid():N}@example.test", password = Scenario.Password, role = "attendant" });
            Assert.Equal(HttpStatusCode.Created, created.Status);
            return created.Id;
        }
    }

    /// <summary>What the owner sets up on the side.</summary>
    private sealed class OwnerActions(Scenario s)
    {
        public Task<string> SpareDepartment() => s.Department(new { name = $"Spare {Guid.NewGuid():N}" });
        public Task<string> SpareSector() => Created("/api/v1/sectors", new { sector = new { name = $"Spare {Guid.NewGuid():N}" } });
        public Task<string> SpareTag() => Created("/api/v1/tags", new { tag = new { name = $"Spare {Guid.NewGuid():N}" } });

        private async Task<string> Created(string path, object body)
        {
            var created = await s.Owner.Post(path, body);
            Assert.Equal(HttpStatusCode.Created, created.Status);
            return created.Id;
        }
        public Task<ApiResponse> Post(string path, object? body = null) => s.Owner.Post(path, body);
        public Task<ApiResponse> Put(string path, object? body = null) => s.Owner.Put(path, body);
        public Task<ApiResponse> Get(string path) => s.Owner.Get(path);
    }
}
