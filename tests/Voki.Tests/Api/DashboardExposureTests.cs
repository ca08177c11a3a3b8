using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>A node outside Development, with nothing configured about the dashboard, the operator API or metrics.</summary>
public sealed class ProductionApp : VokiApp
{
    protected override IDictionary<string, string> Settings =>
        new Dictionary<string, string>(base.Settings) { ["environment"] = "Production", ["Operator:Token"] = "" };
}

/// <summary>
/// The Orleans dashboard reads any grain's state without a token (GET /dashboard/GrainState): in production it
/// would hand every tenant's users and calls to anyone. Outside Development it is not served unless enabled.
/// </summary>
public sealed class DashboardExposureTests(ProductionApp app) : IClassFixture<ProductionApp>
{
    [Fact]
    public async Task Outside_development_the_dashboard_does_not_serve_tenant_data()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "free");
        var owner = await s.Owner.Get("/api/v1/users/me");
        Assert.Equal(HttpStatusCode.OK, owner.Status);

        foreach (var path in new[] { "/dashboard", $"/dashboard/GrainState?grainId={s.Tenant}/{s.OwnerId}&grainType=Voki.Grains.Grains.UserGrain" })
        {
            var response = await s.Anonymous.Get(path);
            Assert.Equal(HttpStatusCode.NotFound, response.Status);
            Assert.Equal("""{"errors":{"detail":"Not Found"}}""", response.Body!.ToJsonString());
        }
    }

    [Fact]
    public async Task Outside_development_without_a_metrics_token_there_are_no_metrics()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "free");
        foreach (var client in new[] { s.Anonymous, s.Owner, s.Anonymous.As(Voki.Tests.Infrastructure.Scenario.OperatorToken, null) })
        {
            var response = await client.Get("/metrics");
            Assert.Equal(HttpStatusCode.NotFound, response.Status);
            Assert.Equal("""{"errors":{"detail":"Not Found"}}""", response.Body!.ToJsonString());
        }
    }

    [Fact]
    public async Task Outside_development_without_an_operator_token_there_is_no_operator_api()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "free");
        var refused = await s.Anonymous.As(Voki.Api.Auth.OperatorOptions.DevelopmentToken, null)
            .Put($"/api/operator/tenants/{s.Tenant}/plan", new { plan = "enterprise" });
        Assert.Equal(HttpStatusCode.NotFound, refused.Status);
        Assert.Equal("free", (await s.Owner.Get("/api/v1/billing/plan")).Data["plan"]!.GetValue<string>());
    }
}

/// <summary>A production node serving the dashboard behind the operator's credential (user "operator").</summary>
public sealed class OperatorDashboardApp : VokiApp
{
    public const string User = "operator", Password = "a-long-operator-password-for-the-dashboard-42";
    private static readonly string Hash = new Voki.Grains.Security.PasswordHasher().Hash(Password);

    protected override IDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["environment"] = "Production",
        ["Dashboard:User"] = User,
        ["Dashboard:PasswordHash"] = Hash,
    };

    /// <summary>A client whose requests arrive over HTTPS, as they do through the TLS listener or a known proxy.</summary>
    /// <summary>Redirects are not followed: HttpClient drops the Authorization header on them, a browser keeps it for the realm.</summary>
    public HttpClient Https() => CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
    {
        BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false,
    });

    public static System.Net.Http.Headers.AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}")));
}

/// <summary>
/// Outside Development the dashboard is served only to the operator's own credential (HTTP Basic over HTTPS): not to
/// anyone, not to a tenant's token, not to the operator API's token.
/// </summary>
public sealed class OperatorDashboardTests(OperatorDashboardApp app) : IClassFixture<OperatorDashboardApp>
{
    /// <summary>GET, following the dashboard's redirects (/dashboard → /dashboard/) with the same credential, as a browser does.</summary>
    private static async Task<HttpResponseMessage> Get(HttpClient client, string path, System.Net.Http.Headers.AuthenticationHeaderValue? auth)
    {
        for (var hops = 0; ; hops++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = auth;
            var response = await client.SendAsync(request);
            if ((int)response.StatusCode is < 300 or >= 400 || response.Headers.Location is null || hops == 3) return response;
            path = response.Headers.Location.IsAbsoluteUri ? response.Headers.Location.PathAndQuery : response.Headers.Location.OriginalString;
        }
    }

    [Fact]
    public async Task The_dashboard_is_refused_without_the_operator_credential_and_served_with_it()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "free");
        var https = app.Https();
        var grainState = $"/dashboard/GrainState?grainId={s.Tenant}/{s.OwnerId}&grainType=Voki.Grains.Grains.UserGrain";
        var wrong = new (string What, System.Net.Http.Headers.AuthenticationHeaderValue? Auth)[]
        {
            ("no credential", null),
            ("the tenant owner's access token", new("Bearer", s.Owner.Token)),
            ("the operator API's token", new("Bearer", VokiApp.OperatorToken)),
            ("a wrong password", OperatorDashboardApp.Basic(OperatorDashboardApp.User, "not-the-password")),
            ("another user with the password", OperatorDashboardApp.Basic("root", OperatorDashboardApp.Password)),
        };
        foreach (var path in new[] { "/dashboard", grainState })
        {
            // One wrong credential per path pair stays under the failure limit (5 a minute): no credential is not counted.
            foreach (var (what, auth) in wrong.Take(path == "/dashboard" ? 3 : 1))
            {
                var refused = await Get(https, path, auth);
                Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, $"{path} with {what}: {(int)refused.StatusCode}");
                Assert.Equal("""{"errors":{"detail":"Unauthorized"}}""", await refused.Content.ReadAsStringAsync());
                Assert.Equal("Basic realm=\"Voki operator dashboard\", charset=\"UTF-8\"", refused.Headers.WwwAuthenticate.ToString());
            }
            var served = await Get(https, path, OperatorDashboardApp.Basic(OperatorDashboardApp.User, OperatorDashboardApp.Password));
            Assert.True(served.StatusCode == HttpStatusCode.OK, $"{path} with the operator credential: {(int)served.StatusCode} {served.Headers} {await served.Content.ReadAsStringAsync()}");
        }
        var page = await Get(https, "/dashboard", OperatorDashboardApp.Basic(OperatorDashboardApp.User, OperatorDashboardApp.Password));
        Assert.Contains("<html", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        // Basic credentials over plain HTTP would travel in clear: refused even when right.
        var plain = await Get(app.CreateClient(), "/dashboard", OperatorDashboardApp.Basic(OperatorDashboardApp.User, OperatorDashboardApp.Password));
        Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
        Assert.Equal("""{"errors":{"detail":"The dashboard is served over HTTPS only"}}""", await plain.Content.ReadAsStringAsync());
    }
}

/// <summary>Guessing the operator's password: five wrong credentials a minute per client address, then 429 without a check.</summary>
public sealed class OperatorDashboardFailureLimitTests(OperatorDashboardApp app) : IClassFixture<OperatorDashboardApp>
{
    [Fact]
    public async Task After_five_wrong_credentials_a_minute_even_the_right_one_waits()
    {
        var https = app.Https();
        async Task<HttpResponseMessage> Try(string password)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/");
            request.Headers.Authorization = OperatorDashboardApp.Basic(OperatorDashboardApp.User, password);
            return await https.SendAsync(request);
        }
        Assert.Equal(HttpStatusCode.OK, (await Try(OperatorDashboardApp.Password)).StatusCode);
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await Try($"guess-{i}")).StatusCode);
        foreach (var password in new[] { "guess-6", OperatorDashboardApp.Password })
        {
            var limited = await Try(password);
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.InRange(int.Parse(limited.Headers.GetValues("Retry-After").Single()), 1, 60);
        }
    }
}
