using System.Net;
using System.Text;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class AuthTests(VokiApp app)
{
    [Fact]
    public async Task Login_answers_documented_errors()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var wrong = await s.Anonymous.Post("/api/auth/login", new { email = $"owner@{s.Tenant}.test", password = "not-the-password", tenant = s.Tenant });
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Equal("Invalid credentials", wrong.Detail);

        var unknownTenant = await s.Anonymous.Post("/api/auth/login", new { email = $"owner@{s.Tenant}.test", password = Scenario.Password, tenant = "no-such-tenant" });
        Assert.Equal(HttpStatusCode.Unauthorized, unknownTenant.Status);
        Assert.Equal("Invalid credentials", unknownTenant.Detail);

        var missing = await s.Anonymous.Post("/api/auth/login", new { email = "" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.Status);
        Assert.Equal(["can't be blank"], missing.FieldErrors("password"));
        Assert.Equal(["can't be blank"], missing.FieldErrors("tenant"));

        var malformed = await s.Anonymous.Send(HttpMethod.Post, "/api/auth/login", null, rawBody: "{\"email\": ");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.Status);
        Assert.NotNull(malformed.Detail);
    }

    [Fact]
    public async Task Access_token_has_the_documented_claims()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var parts = s.Owner.Token!.Split('.');
        var header = System.Text.Json.Nodes.JsonNode.Parse(Encoding.UTF8.GetString(Base64Url(parts[0])))!;
        Assert.Equal("HS256", header["alg"]!.GetValue<string>());
        Assert.Equal("JWT", header["typ"]!.GetValue<string>());
        // The key it was signed with, by id, so keys can rotate (UnsafeConfigurationTests).
        Assert.Equal(16, header["kid"]!.GetValue<string>().Length);
        var payload = System.Text.Json.Nodes.JsonNode.Parse(Encoding.UTF8.GetString(Base64Url(parts[1])))!;
        Assert.Equal(s.OwnerId, payload["sub"]!.GetValue<string>());
        Assert.Equal(s.Tenant, payload["tenant"]!.GetValue<string>());
        Assert.Equal("owner", payload["role"]!.GetValue<string>());
        Assert.Equal("access", payload["typ"]!.GetValue<string>());
        var lifetime = payload["exp"]!.GetValue<long>() - DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(lifetime, 29 * 60, 30 * 60);
    }

    [Fact]
    public async Task Refresh_rotates_and_reuse_revokes_the_family()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var first = await s.Anonymous.Post("/api/auth/refresh", new { refresh_token = s.RefreshToken });
        Assert.Equal(HttpStatusCode.OK, first.Status);
        var rotated = first.Data["refresh_token"]!.GetValue<string>();
        Assert.NotEqual(s.RefreshToken, rotated);
        var fresh = s.Anonymous.As(first.Data["access_token"]!.GetValue<string>(), s.Tenant);
        Assert.Equal(HttpStatusCode.OK, (await fresh.Get("/api/v1/users/me")).Status);

        // The old token was rotated away: presenting it again is reuse, which kills the whole family.
        var reuse = await s.Anonymous.Post("/api/auth/refresh", new { refresh_token = s.RefreshToken });
        Assert.Equal(HttpStatusCode.Unauthorized, reuse.Status);
        Assert.Equal("Unauthorized", reuse.Detail);
        var afterReuse = await s.Anonymous.Post("/api/auth/refresh", new { refresh_token = rotated });
        Assert.Equal(HttpStatusCode.Unauthorized, afterReuse.Status);
    }

    [Fact]
    public async Task Logout_revokes_the_refresh_token()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var logout = await s.Anonymous.Post("/api/auth/logout", new { refresh_token = s.RefreshToken });
        Assert.Equal(HttpStatusCode.NoContent, logout.Status);
        var refresh = await s.Anonymous.Post("/api/auth/refresh", new { refresh_token = s.RefreshToken });
        Assert.Equal(HttpStatusCode.Unauthorized, refresh.Status);
    }

    [Fact]
    public async Task Deactivated_users_can_no_longer_log_in_or_refresh()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var (_, id) = await s.Staff("attendant");
        var users = await s.Owner.Get($"/api/v1/users/{id}");
        var email = users.Data["email"]!.GetValue<string>();
        var login = await s.Anonymous.Post("/api/auth/login", new { email, password = Scenario.Password, tenant = s.Tenant });
        var refreshToken = login.Data["refresh_token"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put($"/api/v1/users/{id}", new { user = new { active = false } })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.Post("/api/auth/login", new { email, password = Scenario.Password, tenant = s.Tenant })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.Post("/api/auth/refresh", new { refresh_token = refreshToken })).Status);
    }

    [Fact]
    public async Task Signup_validates_and_rejects_a_taken_slug()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var taken = await s.Anonymous.Post("/api/signup/register", new
        {
            company = new { name = "Other", slug = s.Tenant },
            user = new { name = "X", email = "x@example.com", password = "long-enough" },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, taken.Status);
        Assert.Equal(["has already been taken"], taken.FieldErrors("slug"));

        var invalid = await s.Anonymous.Post("/api/signup/register", new
        {
            company = new { name = "", slug = "Bad Slug!", plan = "platinum" },
            user = new { name = "X", email = "not-an-email", password = "short" },
        });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Status);
        Assert.NotEmpty(invalid.FieldErrors("name"));
        Assert.NotEmpty(invalid.FieldErrors("slug"));
        // The plan is not the tenant's to choose: ignored, never an error (OperatorTests).
        Assert.Empty(invalid.FieldErrors("plan"));
        Assert.NotEmpty(invalid.FieldErrors("user.email"));
        Assert.NotEmpty(invalid.FieldErrors("user.password"));
    }

    private static byte[] Base64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}
