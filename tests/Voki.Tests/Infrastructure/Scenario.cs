using System.Net;
using System.Text.Json.Nodes;

namespace Voki.Tests.Infrastructure;

/// <summary>A tenant of its own per test: owner signed in, plus helpers that walk the documented flows.</summary>
public sealed class Scenario
{
    public const string Password = "correct-horse-battery";

    /// <summary>
    /// The operator credential plan changes take: a benchmark's node gets a random one through VOKI_OPERATOR_TOKEN,
    /// every test node this fixed one.
    /// </summary>
    public static string OperatorToken { get; } =
        Environment.GetEnvironmentVariable("VOKI_OPERATOR_TOKEN") is { Length: > 0 } token ? token : "test-operator-token-0123456789-0123456789";

    public required ApiClient Anonymous { get; init; }
    public required ApiClient Owner { get; init; }
    public required string Tenant { get; init; }
    public required string OwnerId { get; init; }
    public required string RefreshToken { get; init; }

    public static async Task<Scenario> SignUp(HttpClient http, string plan = "professional")
    {
        var anonymous = new ApiClient(http);
        var tenant = "t" + Guid.NewGuid().ToString("N")[..12];
        var email = $"owner@{tenant}.test";
        var signup = await anonymous.Post("/api/signup/register", new
        {
            company = new { name = $"Company {tenant}", slug = tenant, plan },
            user = new { name = "Owner", email, password = Password },
        });
        Assert.Equal(HttpStatusCode.Created, signup.Status);
        if (plan != "free") await ChangePlan(anonymous, tenant, plan);
        var login = await anonymous.Post("/api/auth/login", new { email, password = Password, tenant });
        Assert.Equal(HttpStatusCode.OK, login.Status);
        return new Scenario
        {
            Anonymous = anonymous,
            Owner = anonymous.As(login.Data["access_token"]!.GetValue<string>(), tenant),
            Tenant = tenant,
            OwnerId = login.Data["user"]!["id"]!.GetValue<string>(),
            RefreshToken = login.Data["refresh_token"]!.GetValue<string>(),
        };
    }

    /// <summary>What an operator does with <c>./voki plan</c>: signup only ever makes free tenants.</summary>
    public static async Task ChangePlan(ApiClient client, string tenant, string plan)
    {
        var changed = await client.As(OperatorToken, null).Put($"/api/operator/tenants/{tenant}/plan", new { plan });
        Assert.Equal(HttpStatusCode.OK, changed.Status);
        Assert.Equal(plan, changed.Data["plan"]!.GetValue<string>());
    }

    public Task ChangePlan(string plan) => ChangePlan(Anonymous, Tenant, plan);

    /// <summary>A staff member as they signed in: id, e-mail, a client with their access token, and their refresh token.</summary>
    public sealed record SignedInMember(string Id, string Email, ApiClient Client, string RefreshToken);

    /// <summary>Creates a staff user with the role (named "A {role}" unless named) and signs them in.</summary>
    public async Task<SignedInMember> SignIn(string role = "attendant", string? departmentId = null, string? email = null, string? name = null)
    {
        email ??= $"{role}-{Guid.NewGuid():N}@{Tenant}.test";
        var created = await Owner.Post("/api/v1/users", new { name = name ?? $"A {role}", email, password = Password, role });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        if (departmentId is not null)
            Assert.Equal(HttpStatusCode.Created, (await Owner.Post($"/api/v1/departments/{departmentId}/users", new { user_id = created.Id })).Status);
        var login = await Anonymous.Post("/api/auth/login", new { email, password = Password, tenant = Tenant });
        Assert.Equal(HttpStatusCode.OK, login.Status);
        return new SignedInMember(created.Id, email, Anonymous.As(login.Data["access_token"]!.GetValue<string>(), Tenant),
            login.Data["refresh_token"]!.GetValue<string>());
    }

    /// <summary>Creates a staff user with the role and returns a client signed in as them, with their id.</summary>
    public async Task<(ApiClient Client, string Id)> Staff(string role, string? departmentId = null)
    {
        var member = await SignIn(role, departmentId);
        return (member.Client, member.Id);
    }

    public async Task<string> Department(object? settings = null)
    {
        var created = await Owner.Post("/api/v1/departments", settings ?? new { name = $"Dept {Guid.NewGuid():N}"[..20] });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        return created.Id;
    }

    public async Task<JsonNode> Link(string departmentId, object? extra = null)
    {
        var created = await Owner.Post("/api/v1/access-links", extra ?? new { department_id = departmentId });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        return created.Data;
    }

    /// <summary>A customer joins the department's queue through a new link; returns the join response's data.</summary>
    public async Task<JsonNode> Join(string departmentId, string customer = "Carlos Ferreira")
    {
        var link = await Link(departmentId);
        var joined = await Anonymous.Post($"/api/v1/call/{link["token"]}/join", new { name = customer, email = "carlos@example.com" });
        Assert.Equal(HttpStatusCode.OK, joined.Status);
        return joined.Data;
    }
}
