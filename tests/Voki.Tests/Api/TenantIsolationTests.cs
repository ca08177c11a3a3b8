using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Voki.Api.Auth;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>
/// decisions.md "Tenancy" and "Auth": an ID from another tenant behaves exactly like an ID that does not
/// exist, and a token only ever works for its own tenant. Tenant B's owner walks every authenticated
/// endpoint with tenant A's IDs; then every endpoint is tried with mismatched, missing or bad credentials.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class TenantIsolationTests(VokiApp app)
{
    private const string Unauthorized = """{"errors":{"detail":"Unauthorized"}}""";

    /// <summary>One tenant's rows, as the probes name them. <c>User</c> and <c>Call</c> take several values per walk.</summary>
    private sealed record Ids(string Tenant, string Owner, string User, string Email, string Department, string Identifier, string Link, string Call,
        string Customer, string Sector, string Tag, string Webhook);

    /// <summary>What a probe may put in its request: <c>Foreign</c> is tenant A's, <c>Own</c> is tenant B's (the caller's).</summary>
    private sealed record Target(Ids Foreign, Ids Own);

    /// <param name="Route">"METHOD pattern" exactly as the app maps it (checked by <see cref="The_table_covers_every_authenticated_route"/>).</param>
    /// <param name="Status">What B's owner gets.</param>
    /// <param name="Detail">The expected <c>errors.detail</c>, for an error with one.</param>
    /// <param name="Field">The expected <c>errors</c> field, for a validation error.</param>
    /// <param name="LikeUnknownId">The answer must equal, status and body, the answer for random IDs in the same places.</param>
    /// <param name="Csv">The answer is a CSV download (compared as text), not a JSON envelope.</param>
    private sealed record Probe(
        string Route, Func<Target, string> Path, int Status, Func<Target, object?>? Body = null,
        string? Detail = null, string? Field = null, bool LikeUnknownId = true, bool Csv = false)
    {
        public HttpMethod Method => new(Route[..Route.IndexOf(' ')]);
    }

    /// <summary>Every authenticated endpoint of the API, called by tenant B's owner with tenant A's data.</summary>
    private static readonly Probe[] Endpoints =
    [
        // Users
        new("GET /api/v1/users/me", _ => "/api/v1/users/me", 200),
        new("GET /api/v1/users/me/departments", _ => "/api/v1/users/me/departments", 200),
        // The caller's own MFA: nothing of another tenant is named.
        new("POST /api/v1/users/me/mfa/setup", _ => "/api/v1/users/me/mfa/setup", 200),
        new("POST /api/v1/users/me/mfa/enable", _ => "/api/v1/users/me/mfa/enable", 422, _ => new { code = "abcdef" }, Field: "code"),
        new("POST /api/v1/users/me/mfa/disable", _ => "/api/v1/users/me/mfa/disable", 422, _ => new { code = "123456" }, Detail: "MFA is not enabled"),
        // Not ID-based: only the caller's own password is checked, and a wrong one changes nothing.
        new("PUT /api/v1/users/me/password", _ => "/api/v1/users/me/password", 422,
            _ => new { current_password = "hijacked-password", password = "hijacked-password" }, Field: "current_password", LikeUnknownId: false),
        new("GET /api/v1/users", _ => "/api/v1/users?page_size=100", 200),
        // E-mail addresses are unique per tenant: A's member's address is free in B.
        new("POST /api/v1/users", _ => "/api/v1/users", 201,
            t => new { name = "Same address", email = t.Foreign.Email, password = Scenario.Password, role = "attendant" }, LikeUnknownId: false),
        new("GET /api/v1/users/{id:guid}", t => $"/api/v1/users/{t.Foreign.User}", 404, Detail: "Not Found"),
        new("PUT /api/v1/users/{id:guid}", t => $"/api/v1/users/{t.Foreign.User}", 404,
            _ => new { user = new { name = "Hijacked", active = false, role = "attendant", password = "hijacked-password" } }, Detail: "Not Found"),

        // Departments and their members
        new("GET /api/v1/departments", _ => "/api/v1/departments?page_size=100", 200),
        // Identifiers are unique per tenant: A's is free in B.
        new("POST /api/v1/departments", _ => "/api/v1/departments", 201,
            t => new { department = new { name = "Same identifier", identifier = t.Foreign.Identifier } }, LikeUnknownId: false),
        new("GET /api/v1/departments/{id:guid}", t => $"/api/v1/departments/{t.Foreign.Department}", 404, Detail: "Not Found"),
        new("PUT /api/v1/departments/{id:guid}", t => $"/api/v1/departments/{t.Foreign.Department}", 404,
            _ => new { department = new { name = "Hijacked", active = false } }, Detail: "Not Found"),
        new("DELETE /api/v1/departments/{id:guid}", t => $"/api/v1/departments/{t.Foreign.Department}", 404, Detail: "Not Found"),
        new("GET /api/v1/departments/{id:guid}/users", t => $"/api/v1/departments/{t.Foreign.Department}/users", 404, Detail: "Not Found"),
        new("POST /api/v1/departments/{id:guid}/users", t => $"/api/v1/departments/{t.Foreign.Department}/users", 404,
            t => new { user_id = t.Own.User }, Detail: "Not Found"),
        new("POST /api/v1/departments/{id:guid}/users", t => $"/api/v1/departments/{t.Own.Department}/users", 422,
            t => new { user_id = t.Foreign.User }, Field: "user_id"),
        new("DELETE /api/v1/departments/{id:guid}/users/{userId:guid}",
            t => $"/api/v1/departments/{t.Foreign.Department}/users/{t.Foreign.User}", 404, Detail: "Not Found"),
        new("DELETE /api/v1/departments/{id:guid}/users/{userId:guid}",
            t => $"/api/v1/departments/{t.Own.Department}/users/{t.Foreign.User}", 404, Detail: "Not Found"),

        // A department names a sector of its own tenant only.
        new("POST /api/v1/departments", _ => "/api/v1/departments", 422,
            t => new { department = new { name = "Foreign sector", sector_id = t.Foreign.Sector } }, Field: "sector_id"),
        new("PUT /api/v1/departments/{id:guid}", t => $"/api/v1/departments/{t.Own.Department}", 422,
            t => new { department = new { sector_id = t.Foreign.Sector } }, Field: "sector_id"),

        // Sectors
        new("GET /api/v1/sectors", _ => "/api/v1/sectors?page_size=100", 200),
        new("POST /api/v1/sectors", _ => "/api/v1/sectors", 201, _ => new { sector = new { name = "Sector of B" } }, LikeUnknownId: false),
        new("GET /api/v1/sectors/{id:guid}", t => $"/api/v1/sectors/{t.Foreign.Sector}", 404, Detail: "Not Found"),
        new("PUT /api/v1/sectors/{id:guid}", t => $"/api/v1/sectors/{t.Foreign.Sector}", 404,
            _ => new { sector = new { name = "Hijacked", active = false, description = (string?)null } }, Detail: "Not Found"),
        new("DELETE /api/v1/sectors/{id:guid}", t => $"/api/v1/sectors/{t.Foreign.Sector}", 404, Detail: "Not Found"),

        // Tags: a parent is a tag of the caller's own tenant only.
        new("GET /api/v1/tags", _ => "/api/v1/tags?page_size=100", 200),
        new("GET /api/v1/tags", t => $"/api/v1/tags?parent_id={t.Foreign.Tag}", 200),
        new("GET /api/v1/tags/tree", _ => "/api/v1/tags/tree", 200),
        new("POST /api/v1/tags", _ => "/api/v1/tags", 422, t => new { tag = new { name = "Under a foreign tag", parent_id = t.Foreign.Tag } }, Field: "parent_id"),
        new("GET /api/v1/tags/{id:guid}", t => $"/api/v1/tags/{t.Foreign.Tag}", 404, Detail: "Not Found"),
        new("PUT /api/v1/tags/{id:guid}", t => $"/api/v1/tags/{t.Foreign.Tag}", 404, _ => new { tag = new { name = "Hijacked", color = "#000000" } }, Detail: "Not Found"),
        new("PUT /api/v1/tags/{id:guid}", t => $"/api/v1/tags/{t.Own.Tag}", 422, t => new { tag = new { parent_id = t.Foreign.Tag } }, Field: "parent_id"),
        new("DELETE /api/v1/tags/{id:guid}", t => $"/api/v1/tags/{t.Foreign.Tag}", 404, Detail: "Not Found"),

        // Access links
        new("GET /api/v1/access-links", t => $"/api/v1/access-links?department_id={t.Foreign.Department}", 200),
        new("POST /api/v1/access-links", _ => "/api/v1/access-links", 422,
            t => new { access_link = new { department_id = t.Foreign.Department } }, Field: "department_id"),
        new("POST /api/v1/access-links/batch", _ => "/api/v1/access-links/batch", 422,
            t => new { department_id = t.Foreign.Department, count = 2 }, Field: "department_id"),
        new("POST /api/v1/access-links/batch", _ => "/api/v1/access-links/batch", 422,
            t => new { access_links = new[] { new { department_id = t.Foreign.Department } } }, Field: "department_id"),
        new("GET /api/v1/access-links/{id:guid}", t => $"/api/v1/access-links/{t.Foreign.Link}", 404, Detail: "Not Found"),
        new("POST /api/v1/access-links/{id:guid}/cancel", t => $"/api/v1/access-links/{t.Foreign.Link}/cancel", 404, Detail: "Not Found"),

        // Calls (each of A's queued, active and completed calls)
        new("GET /api/v1/calls", t => $"/api/v1/calls?department_id={t.Foreign.Department}", 200),
        new("GET /api/v1/calls", t => $"/api/v1/calls?user_id={t.Foreign.User}", 200),
        new("GET /api/v1/calls", t => $"/api/v1/calls?customer_id={t.Foreign.Customer}", 200),
        new("GET /api/v1/calls/{id:guid}", t => $"/api/v1/calls/{t.Foreign.Call}", 404, Detail: "Call not found"),
        new("POST /api/v1/calls/{id:guid}/assign", t => $"/api/v1/calls/{t.Foreign.Call}/assign", 404,
            t => new { user_id = t.Own.User }, Detail: "Call not found"),
        new("POST /api/v1/calls/{id:guid}/assign", t => $"/api/v1/calls/{t.Own.Call}/assign", 422,
            t => new { user_id = t.Foreign.User }, Field: "user_id"),
        new("POST /api/v1/calls/{id:guid}/start", t => $"/api/v1/calls/{t.Foreign.Call}/start", 404, Detail: "Call not found"),
        new("POST /api/v1/calls/{id:guid}/complete", t => $"/api/v1/calls/{t.Foreign.Call}/complete", 404,
            _ => new { notes = "Hijacked" }, Detail: "Call not found"),
        new("POST /api/v1/calls/{id:guid}/cancel", t => $"/api/v1/calls/{t.Foreign.Call}/cancel", 404, Detail: "Call not found"),
        new("GET /api/v1/calls", t => $"/api/v1/calls?tag_id={t.Foreign.Tag}", 200),
        new("GET /api/v1/calls/{id:guid}/tags", t => $"/api/v1/calls/{t.Foreign.Call}/tags", 404, Detail: "Call not found"),
        new("POST /api/v1/calls/{id:guid}/tags", t => $"/api/v1/calls/{t.Foreign.Call}/tags", 404, t => new { tag_id = t.Own.Tag }, Detail: "Call not found"),
        new("POST /api/v1/calls/{id:guid}/tags", t => $"/api/v1/calls/{t.Own.Call}/tags", 422, t => new { tag_id = t.Foreign.Tag }, Field: "tag_id"),
        new("DELETE /api/v1/calls/{id:guid}/tags/{tagId:guid}", t => $"/api/v1/calls/{t.Foreign.Call}/tags/{t.Foreign.Tag}", 404, Detail: "Call not found"),
        new("DELETE /api/v1/calls/{id:guid}/tags/{tagId:guid}", t => $"/api/v1/calls/{t.Own.Call}/tags/{t.Foreign.Tag}", 404, Detail: "Not Found"),
        new("POST /api/v1/calls/{id:guid}/manager-notes", t => $"/api/v1/calls/{t.Foreign.Call}/manager-notes", 404,
            _ => new { content = "Hijacked" }, Detail: "Call not found"),
        new("GET /api/v1/calls/{id:guid}/recording", t => $"/api/v1/calls/{t.Foreign.Call}/recording", 404, Detail: "Recording not found"),
        new("GET /api/v1/calls/{id:guid}/recording/download", t => $"/api/v1/calls/{t.Foreign.Call}/recording/download", 404, Detail: "Recording not found"),
        new("GET /api/v1/calls/{id:guid}/recording/audit", t => $"/api/v1/calls/{t.Foreign.Call}/recording/audit", 404, Detail: "Recording not found"),
        new("GET /api/v1/calls/{id:guid}/quality", t => $"/api/v1/calls/{t.Foreign.Call}/quality", 404, Detail: "Call not found"),
        new("GET /api/v1/calls/{id:guid}/transcript", t => $"/api/v1/calls/{t.Foreign.Call}/transcript", 404, Detail: "Transcript not found"),
        new("GET /api/v1/calls/{id:guid}/transcript.vtt", t => $"/api/v1/calls/{t.Foreign.Call}/transcript.vtt", 404, Detail: "Transcript not found"),
        // Recordings are never deleted one by one (decisions.md): 405 for every ID, A's included.
        new("DELETE /api/v1/calls/{id:guid}/recording", t => $"/api/v1/calls/{t.Foreign.Call}/recording", 405,
            Detail: "Recordings cannot be deleted"),

        // Customers (B's own customer is the one B's join created)
        new("GET /api/v1/customers", _ => "/api/v1/customers?search=Alice", 200),
        new("GET /api/v1/customers", _ => "/api/v1/customers?search=carlos@example.com&page_size=100", 200),
        new("POST /api/v1/customers", _ => "/api/v1/customers", 201, _ => new { customer = new { name = "New customer", email = "carlos@example.com" } },
            LikeUnknownId: false),
        new("GET /api/v1/customers/{id:guid}", t => $"/api/v1/customers/{t.Foreign.Customer}", 404, Detail: "Not Found"),
        new("PUT /api/v1/customers/{id:guid}", t => $"/api/v1/customers/{t.Foreign.Customer}", 404,
            _ => new { customer = new { name = "Hijacked", email = (string?)null } }, Detail: "Not Found"),
        new("DELETE /api/v1/customers/{id:guid}", t => $"/api/v1/customers/{t.Foreign.Customer}", 404, Detail: "Not Found"),
        new("POST /api/v1/customers/merge", _ => "/api/v1/customers/merge", 422,
            t => new { primary_id = t.Foreign.Customer, duplicate_ids = new[] { t.Own.Customer } }, Field: "primary_id"),
        new("POST /api/v1/customers/merge", _ => "/api/v1/customers/merge", 422,
            t => new { primary_id = t.Own.Customer, duplicate_ids = new[] { t.Foreign.Customer } }, Field: "duplicate_ids"),
        new("POST /api/v1/access-links", _ => "/api/v1/access-links", 422,
            t => new { department_id = t.Own.Department, customer_id = t.Foreign.Customer }, Field: "customer_id"),

        // CSV export: B's files hold B's rows only, whatever the filters name (the rows are checked by AssertNoTrace).
        new("GET /api/v1/export/calls.csv", t => $"/api/v1/export/calls.csv?department_id={t.Foreign.Department}", 200, Csv: true),
        new("GET /api/v1/export/calls.csv", _ => "/api/v1/export/calls.csv", 200, Csv: true, LikeUnknownId: false),
        new("GET /api/v1/export/customers.csv", _ => "/api/v1/export/customers.csv", 200, Csv: true, LikeUnknownId: false),
        new("GET /api/v1/export/links.csv", t => $"/api/v1/export/links.csv?department_id={t.Foreign.Department}", 200, Csv: true),
        new("GET /api/v1/export/links.csv", _ => "/api/v1/export/links.csv?status=used", 200, Csv: true, LikeUnknownId: false),

        // Analytics: B's figures only, whatever is asked; A's department is, for B, one that does not exist.
        new("GET /api/v1/analytics/overview", _ => "/api/v1/analytics/overview", 200),
        new("GET /api/v1/analytics/overview", t => $"/api/v1/analytics/overview?department_id={t.Foreign.Department}", 422, Field: "department_id"),
        new("GET /api/v1/analytics/hourly", _ => "/api/v1/analytics/hourly", 200),
        new("GET /api/v1/analytics/hourly", t => $"/api/v1/analytics/hourly?department_id={t.Foreign.Department}", 422, Field: "department_id"),
        new("GET /api/v1/analytics/agents", _ => "/api/v1/analytics/agents", 200),
        new("GET /api/v1/analytics/agents", t => $"/api/v1/analytics/agents?department_id={t.Foreign.Department}", 422, Field: "department_id"),
        new("GET /api/v1/analytics/trends", _ => "/api/v1/analytics/trends", 200),
        new("GET /api/v1/analytics/trends", t => $"/api/v1/analytics/trends?period=month&department_id={t.Foreign.Department}", 422, Field: "department_id"),
        // Not ID-based: the views are shared by every tenant (tenancy is by row) and refreshing them changes no one's figures.
        new("POST /api/v1/analytics/refresh-views", _ => "/api/v1/analytics/refresh-views", 200, LikeUnknownId: false),

        // The caller's own company: not ID-based, so B's token only ever reaches B's company.
        new("GET /api/v1/company", _ => "/api/v1/company", 200),
        new("PUT /api/v1/company", _ => "/api/v1/company", 200, _ => new { company = new { name = "Company B renamed" } }),
        new("GET /api/v1/billing/plan", _ => "/api/v1/billing/plan", 200),

        // Webhooks
        new("GET /api/v1/webhooks", _ => "/api/v1/webhooks?page_size=100", 200),
        new("POST /api/v1/webhooks", _ => "/api/v1/webhooks", 201,
            _ => new { url = "http://127.0.0.1:9/b-hook", events = new[] { "call.created" }, active = false }, LikeUnknownId: false),
        new("GET /api/v1/webhooks/{id:guid}", t => $"/api/v1/webhooks/{t.Foreign.Webhook}", 404, Detail: "Webhook not found"),
        new("PUT /api/v1/webhooks/{id:guid}", t => $"/api/v1/webhooks/{t.Foreign.Webhook}", 404,
            _ => new { webhook = new { url = "http://127.0.0.1:9/hijacked", events = new[] { "call.completed" }, secret = "hijacked-secret-0123456789" } },
            Detail: "Webhook not found"),
        new("DELETE /api/v1/webhooks/{id:guid}", t => $"/api/v1/webhooks/{t.Foreign.Webhook}", 404, Detail: "Webhook not found"),
        new("POST /api/v1/webhooks/{id:guid}/test", t => $"/api/v1/webhooks/{t.Foreign.Webhook}/test", 404, Detail: "Webhook not found"),
        new("GET /api/v1/webhooks/{id:guid}/deliveries", t => $"/api/v1/webhooks/{t.Foreign.Webhook}/deliveries", 404, Detail: "Webhook not found"),
    ];

    /// <summary>
    /// The only routes under /api/ that take no access token: signup, the token exchanges (whose credential is in the
    /// body), the forgotten password (an e-mail and tenant; a mailed token) and the customer widget, which finds its tenant
    /// from the link token or call id.
    /// </summary>
    private static readonly string[] PublicRoutes =
    [
        "POST /api/signup/register",
        "POST /api/auth/login", "POST /api/auth/refresh", "POST /api/auth/logout", "POST /api/auth/mfa/verify", "POST /api/auth/mfa/setup",
        "POST /api/auth/forgot-password", "POST /api/auth/reset-password",
        "GET /api/v1/call/{token}/validate", "POST /api/v1/call/{token}/join", "GET /api/v1/call/status/{callId:guid}",
        "POST /api/v1/call/evaluate/{callId:guid}", "POST /api/v1/call/leave/{callId:guid}", "GET /api/v1/call/turn-credentials",
    ];

    [Fact]
    public void The_table_covers_every_authenticated_route() =>
        AppRoutes.AssertSameRoutes(Endpoints.Select(e => e.Route), AppRoutes.Authenticated(app.Services).Select(r => r.Key), "tenant isolation");

    /// <summary>A new route that forgot RequireAuthorization would escape the table above: it must be declared public here.</summary>
    [Fact]
    public void Every_other_api_route_is_a_known_public_one() =>
        AppRoutes.AssertSameRoutes(PublicRoutes, AppRoutes.Api(app.Services).Where(r => !r.Authenticated).Select(r => r.Key), "public route");

    [Fact]
    public async Task Another_tenants_ids_behave_like_ids_that_do_not_exist_on_every_endpoint()
    {
        var a = await World.Build(app, "Alice Tenant-A");
        var b = await World.Build(app, "Bob Tenant-B");
        var before = await a.Snapshot();

        var foreignVariants = (
            from user in new[] { a.Ids.Owner, a.Ids.User }
            from call in a.Calls
            select a.Ids with { User = user, Call = call }).ToList();
        foreach (var probe in Endpoints)
        {
            var sent = new HashSet<string>();
            foreach (var foreign in foreignVariants)
            {
                var target = new Target(foreign, b.Ids);
                var path = probe.Path(target);
                var body = probe.Body?.Invoke(target);
                if (!sent.Add($"{path} {JsonSerializer.Serialize(body)}")) continue;
                var what = $"{probe.Method} {path} {JsonSerializer.Serialize(body)} by tenant B's owner";

                var response = await b.Owner.Send(probe.Method, path, body);
                Assert.True(probe.Status == (int)response.Status, $"{what}: expected {probe.Status}, got {(int)response.Status} {response.Body}");
                a.AssertNoTrace(response, what, sent: what);
                if (probe.Detail is not null)
                    Assert.True(probe.Detail == response.Detail, $"{what}: expected detail \"{probe.Detail}\", got {response.Body}");
                if (probe.Field is not null)
                    Assert.True(response.FieldErrors(probe.Field).Length > 0, $"{what}: expected an error on {probe.Field}, got {response.Body}");
                if (probe.Csv) Assert.True(response.Message.Content.Headers.ContentType?.MediaType == "text/csv", $"{what}: not a CSV download: {response.Text}");
                else if (probe.Status < 300) Assert.True(response.Body?["data"] is not null, $"{what}: no data envelope in {response.Body}");

                if (!probe.LikeUnknownId) continue;
                var unknown = new Target(World.Unknown(foreign), b.Ids);
                var unknownPath = probe.Path(unknown);
                var unknownBody = probe.Body?.Invoke(unknown);
                if (unknownPath == path && JsonSerializer.Serialize(unknownBody) == JsonSerializer.Serialize(body)) continue;
                var control = await b.Owner.Send(probe.Method, unknownPath, unknownBody);
                Assert.True(control.Status == response.Status && (control.Body?.ToJsonString() ?? control.Text) == (response.Body?.ToJsonString() ?? response.Text),
                    $"{what}: answered {(int)response.Status} {response.Body}, but for unknown IDs {(int)control.Status} {control.Body}");
            }
        }

        // Calls on B's own token reached B's own data only.
        var me = await b.Owner.Get("/api/v1/users/me");
        Assert.Equal(b.Ids.Owner, me.Id);
        var company = await b.Owner.Get("/api/v1/company");
        Assert.Equal(b.Ids.Tenant, company.Data["slug"]!.GetValue<string>());
        Assert.Equal("Company B renamed", company.Data["name"]!.GetValue<string>());
        var ownCall = await b.Owner.Get($"/api/v1/calls/{b.Ids.Call}");
        Assert.Equal("queued", ownCall.Data["status"]!.GetValue<string>());
        Assert.Null(ownCall.Data["user_id"]);

        // Analytics count each tenant's own calls: B's one queued call, nobody's; A's three, two of them its member's.
        Assert.Equal(1, (await b.Owner.Get("/api/v1/analytics/overview")).Data["total_calls"]!.GetValue<int>());
        Assert.Empty((await b.Owner.Get("/api/v1/analytics/agents")).Data.AsArray());
        Assert.Equal(3, (await a.Owner.Get("/api/v1/analytics/overview")).Data["total_calls"]!.GetValue<int>());
        var aAgent = Assert.Single((await a.Owner.Get("/api/v1/analytics/agents")).Data.AsArray())!;
        Assert.Equal((a.Ids.User, 2), (aAgent["user_id"]!.GetValue<string>(), aAgent["total_calls"]!.GetValue<int>()));

        Assert.Equal(before, await a.Snapshot());
    }

    [Fact]
    public async Task List_endpoints_never_show_another_tenants_rows()
    {
        var a = await World.Build(app, "Alice Tenant-A");
        var b = await World.Build(app, "Bob Tenant-B");
        string[] lists =
        [
            "/api/v1/users?page_size=100", "/api/v1/users?active=true&sort_by=inserted_at", $"/api/v1/users?search={a.Ids.Tenant}",
            "/api/v1/departments?page_size=100", "/api/v1/departments?active=true", $"/api/v1/departments/{b.Ids.Department}/users",
            "/api/v1/access-links?page_size=100", "/api/v1/access-links?status=used", "/api/v1/access-links?status=active",
            "/api/v1/calls?page_size=100", "/api/v1/calls?status=queued", "/api/v1/calls?status=active", "/api/v1/calls?status=completed",
            "/api/v1/calls?search=Alice", $"/api/v1/calls?department_id={a.Ids.Department}", $"/api/v1/calls?user_id={a.Ids.User}",
            $"/api/v1/calls?tag_id={a.Ids.Tag}", $"/api/v1/calls?tag_id={b.Ids.Tag}", $"/api/v1/calls/{b.Ids.Call}/tags",
            "/api/v1/customers?page_size=100", "/api/v1/customers?search=Alice", "/api/v1/customers?search=carlos", "/api/v1/customers?sort_by=last_call_at",
            "/api/v1/sectors?page_size=100", "/api/v1/sectors?search=Alice", "/api/v1/tags?page_size=100", "/api/v1/tags?search=Alice",
            "/api/v1/webhooks?page_size=100", $"/api/v1/webhooks/{b.Ids.Webhook}/deliveries?page_size=100",
        ];
        foreach (var list in lists)
        {
            var response = await b.Owner.Get(list);
            Assert.Equal(HttpStatusCode.OK, response.Status);
            a.AssertNoTrace(response, $"GET {list} by tenant B's owner");
            var rows = response.Data.AsArray();
            Assert.True(rows.Count == response.Body!["meta"]!["total_count"]!.GetValue<int>(), $"GET {list}: total_count counts rows that are not listed");
            foreach (var row in rows) Assert.DoesNotContain(row!["id"]!.GetValue<string>(), a.AllIds);
        }

        // B sees its own rows, and A sees all of its own: the lists above are empty of A's rows, not empty.
        Assert.Equal(b.Ids.Call, Assert.Single((await b.Owner.Get("/api/v1/calls")).Data.AsArray())!["id"]!.GetValue<string>());
        var aCalls = (await a.Owner.Get("/api/v1/calls")).Data.AsArray().Select(c => c!["id"]!.GetValue<string>()).ToHashSet();
        Assert.Superset(a.Calls.ToHashSet(), aCalls);
        var bPlan = await b.Owner.Get("/api/v1/billing/plan");
        Assert.Equal(1, bPlan.Data["usage"]!["calls_this_month"]!.GetValue<int>());
        Assert.Equal(2, bPlan.Data["usage"]!["active_users"]!.GetValue<int>());
        Assert.Equal(1, bPlan.Data["usage"]!["active_departments"]!.GetValue<int>());
    }

    [Fact]
    public async Task Every_authenticated_endpoint_refuses_a_mismatched_missing_or_bad_token()
    {
        var a = await World.Build(app, "Alice Tenant-A");
        var b = await World.Build(app, "Bob Tenant-B");
        var before = await a.Snapshot();
        var auth = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        var key = Encoding.UTF8.GetBytes(auth.SigningKey);
        var aOwner = a.Owner.Token!;
        var bOwner = b.Owner.Token!;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        object Claims(long exp, string typ = "access") => new
        {
            sub = a.Ids.Owner, tenant = a.Ids.Tenant, role = "owner", typ, exp, iat = now - 60, iss = auth.Issuer,
        };

        // The forging below is right: the same claims with a future exp are accepted.
        var minted = Jwt(new { alg = "HS256", typ = "JWT" }, Claims(now + 600), key);
        Assert.Equal(HttpStatusCode.OK, (await a.Owner.As(minted, a.Ids.Tenant).Get("/api/v1/users/me")).Status);

        var credentials = new (string What, string? Token, string? Tenant)[]
        {
            ("B's token with X-Tenant: A", bOwner, a.Ids.Tenant),
            ("A's token with X-Tenant: B", aOwner, b.Ids.Tenant),
            ("B's token without X-Tenant", bOwner, null),
            ("B's token with an empty X-Tenant", bOwner, ""),
            ("no Authorization header", null, a.Ids.Tenant),
            ("the customer's websocket_token (typ ws_customer)", a.CustomerToken, a.Ids.Tenant),
            ("a refresh token used as a bearer token", a.RefreshToken, a.Ids.Tenant),
            ("A's token with its signature altered", Tamper(aOwner, signature: true), a.Ids.Tenant),
            ("A's member's token with role raised to owner, old signature", RaiseRole(a.MemberToken), a.Ids.Tenant),
            ("A's token re-pointed at tenant B, old signature", Retarget(aOwner, b.Ids.Tenant), b.Ids.Tenant),
            ("an expired token, correctly signed", Jwt(new { alg = "HS256", typ = "JWT" }, Claims(now - 120), key), a.Ids.Tenant),
            ("a token without exp, correctly signed", Jwt(new { alg = "HS256", typ = "JWT" },
                new { sub = a.Ids.Owner, tenant = a.Ids.Tenant, role = "owner", typ = "access", iss = auth.Issuer }, key), a.Ids.Tenant),
            ("a token with typ refresh, correctly signed", Jwt(new { alg = "HS256", typ = "JWT" }, Claims(now + 600, "refresh"), key), a.Ids.Tenant),
            ("a token signed with another key", Jwt(new { alg = "HS256", typ = "JWT" }, Claims(now + 600), RandomNumberGenerator.GetBytes(48)), a.Ids.Tenant),
            ("an unsigned token (alg none)", Jwt(new { alg = "none", typ = "JWT" }, Claims(now + 600), null), a.Ids.Tenant),
            ("garbage", "not-a-jwt", a.Ids.Tenant),
        };

        var target = new Target(a.Ids with { Call = a.Calls[0] }, b.Ids);
        foreach (var probe in Endpoints.DistinctBy(p => p.Route))
        foreach (var (what, token, tenant) in credentials)
        {
            var path = probe.Path(target);
            var response = await a.Owner.As(token, tenant).Send(probe.Method, path, probe.Body?.Invoke(target));
            Assert.True(response.Status == HttpStatusCode.Unauthorized && response.Body?.ToJsonString() == Unauthorized,
                $"{probe.Method} {path} with {what}: expected 401 {Unauthorized}, got {(int)response.Status} {response.Body}");
        }

        Assert.Equal(before, await a.Snapshot());
    }

    /// <summary>A tenant with rows of every kind: a department with a member, an active link, and queued, active and completed calls.</summary>
    private sealed class World
    {
        public required Scenario Scenario { get; init; }
        public required Ids Ids { get; init; }
        public required string[] Calls { get; init; }
        public required string CustomerToken { get; init; }
        public required string MemberToken { get; init; }
        public required string RefreshToken { get; init; }
        public ApiClient Owner => Scenario.Owner;

        public IEnumerable<string> AllIds => new[] { Ids.Owner, Ids.User, Ids.Department, Ids.Link, Ids.Customer, Ids.Sector, Ids.Tag, Ids.Webhook }.Concat(Calls);

        public static async Task<World> Build(VokiApp app, string customer)
        {
            var s = await Scenario.SignUp(app.CreateClient());
            var department = await s.Department();
            var identifier = (await s.Owner.Get($"/api/v1/departments/{department}")).Data["identifier"]!.GetValue<string>();
            var (member, memberId) = await s.Staff("attendant", department);
            var email = (await s.Owner.Get($"/api/v1/users/{memberId}")).Data["email"]!.GetValue<string>();
            var link = (await s.Link(department))["id"]!.GetValue<string>();
            var sector = await s.Owner.Post("/api/v1/sectors", new { sector = new { name = $"Sector of {customer}" } });
            Assert.Equal(HttpStatusCode.Created, sector.Status);
            Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put($"/api/v1/departments/{department}", new { sector_id = sector.Id })).Status);
            var tag = await s.Owner.Post("/api/v1/tags", new { tag = new { name = $"Tag of {customer}" } });
            Assert.Equal(HttpStatusCode.Created, tag.Status);
            // Subscribed to every call event, so its delivery log has rows (to a dead port: they stay pending or fail).
            var webhook = await s.Owner.Post("/api/v1/webhooks", new { url = "http://127.0.0.1:9/hook", events = new[] { "call.created", "call.started", "call.completed" } });
            Assert.Equal(HttpStatusCode.Created, webhook.Status);

            var queued = await s.Join(department, customer);
            var calls = new List<string> { queued["call_id"]!.GetValue<string>() };
            if (customer.StartsWith("Alice"))
            {
                var active = (await s.Join(department, customer))["call_id"]!.GetValue<string>();
                Assert.Equal(HttpStatusCode.OK, (await member.Post($"/api/v1/calls/{active}/start")).Status);
                var completed = (await s.Join(department, customer))["call_id"]!.GetValue<string>();
                Assert.Equal(HttpStatusCode.OK, (await member.Post($"/api/v1/calls/{completed}/start")).Status);
                Assert.Equal(HttpStatusCode.OK, (await member.Post($"/api/v1/calls/{completed}/complete", new { notes = "Done" })).Status);
                calls.AddRange([active, completed]);
                foreach (var call in calls)
                {
                    Assert.Equal(HttpStatusCode.Created, (await s.Owner.Post($"/api/v1/calls/{call}/tags", new { tag_id = tag.Id })).Status);
                    Assert.Equal(HttpStatusCode.Created, (await s.Owner.Post($"/api/v1/calls/{call}/manager-notes", new { content = $"Note on {customer}" })).Status);
                }
            }
            var customerId = Assert.Single((await s.Owner.Get("/api/v1/customers")).Data.AsArray())!["id"]!.GetValue<string>();

            return new World
            {
                Scenario = s,
                Ids = new Ids(s.Tenant, s.OwnerId, memberId, email, department, identifier, link, calls[0], customerId, sector.Id, tag.Id, webhook.Id),
                Calls = calls.ToArray(),
                CustomerToken = queued["websocket_token"]!.GetValue<string>(),
                MemberToken = member.Token!,
                RefreshToken = s.RefreshToken,
            };
        }

        /// <summary>The same shape with IDs (and values) that exist nowhere.</summary>
        public static Ids Unknown(Ids ids) => ids with
        {
            Owner = Guid.NewGuid().ToString(), User = Guid.NewGuid().ToString(), Email = $"nobody-{Guid.NewGuid():N}@nowhere.test",
            Department = Guid.NewGuid().ToString(), Identifier = $"nothing-{Guid.NewGuid():N}", Link = Guid.NewGuid().ToString(),
            Call = Guid.NewGuid().ToString(), Customer = Guid.NewGuid().ToString(), Sector = Guid.NewGuid().ToString(), Tag = Guid.NewGuid().ToString(),
            Webhook = Guid.NewGuid().ToString(),
        };

        /// <summary>
        /// Nothing of this tenant (IDs, slug, customer) may appear in another tenant's answers, except what the
        /// request itself carried (B may create a user with an e-mail address A also uses).
        /// </summary>
        public void AssertNoTrace(ApiResponse response, string what, string sent = "")
        {
            var text = response.Body?.ToJsonString() ?? response.Text;
            foreach (var secret in AllIds.Append(Ids.Tenant).Append("Alice").Where(v => !sent.Contains(v, StringComparison.OrdinalIgnoreCase)))
                Assert.False(text.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{what}: the answer shows tenant A's {secret}: {text}");
        }

        /// <summary>Everything the tenant's owner can read about its rows, to prove nothing changed.</summary>
        public async Task<string> Snapshot()
        {
            var paths = new List<string>
            {
                $"/api/v1/users/{Ids.Owner}", $"/api/v1/users/{Ids.User}", "/api/v1/users?page_size=100",
                $"/api/v1/departments/{Ids.Department}", "/api/v1/departments?page_size=100", $"/api/v1/departments/{Ids.Department}/users",
                $"/api/v1/access-links/{Ids.Link}", "/api/v1/access-links?page_size=100",
                "/api/v1/calls?page_size=100", "/api/v1/company", "/api/v1/billing/plan",
                $"/api/v1/customers/{Ids.Customer}", "/api/v1/customers?page_size=100",
                $"/api/v1/sectors/{Ids.Sector}", "/api/v1/sectors?page_size=100", $"/api/v1/tags/{Ids.Tag}", "/api/v1/tags?page_size=100", "/api/v1/tags/tree",
                $"/api/v1/webhooks/{Ids.Webhook}", "/api/v1/webhooks?page_size=100",
            };
            paths.AddRange(Calls.Select(c => $"/api/v1/calls/{c}"));
            var snapshot = new StringBuilder();
            foreach (var path in paths)
            {
                var response = await Owner.Get(path);
                Assert.Equal(HttpStatusCode.OK, response.Status);
                snapshot.Append(path).Append(" => ").AppendLine(response.Body!.ToJsonString());
            }
            return snapshot.ToString();
        }
    }

    private static string Jwt(object header, object payload, byte[]? key)
    {
        var signed = $"{Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(header))}.{Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payload))}";
        return key is null ? signed + "." : $"{signed}.{Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signed)))}";
    }

    private static string Tamper(string token, bool signature)
    {
        var parts = token.Split('.');
        var sig = Base64Url.DecodeFromChars(parts[2]);
        if (signature) sig[0] ^= 0x01;
        return $"{parts[0]}.{parts[1]}.{Base64Url.EncodeToString(sig)}";
    }

    private static string RaiseRole(string token) => EditPayload(token, p => p["role"] = "owner");

    private static string Retarget(string token, string tenant) => EditPayload(token, p => p["tenant"] = tenant);

    /// <summary>Changes claims and keeps the original signature, as an attacker without the key would.</summary>
    private static string EditPayload(string token, Action<JsonObject> edit)
    {
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
        edit(payload);
        return $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString()))}.{parts[2]}";
    }
}
