using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>A node outside Development, with nothing configured about the dashboard or the operator API.</summary>
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
    public async Task Outside_development_without_an_operator_token_there_is_no_operator_api()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "free");
        var refused = await s.Anonymous.As(Voki.Api.Auth.OperatorOptions.DevelopmentToken, null)
            .Put($"/api/operator/tenants/{s.Tenant}/plan", new { plan = "enterprise" });
        Assert.Equal(HttpStatusCode.NotFound, refused.Status);
        Assert.Equal("free", (await s.Owner.Get("/api/v1/billing/plan")).Data["plan"]!.GetValue<string>());
    }
}
