using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>A node outside Development, with nothing configured about the dashboard.</summary>
public sealed class ProductionApp : VokiApp
{
    protected override IDictionary<string, string> Settings =>
        new Dictionary<string, string>(base.Settings) { ["environment"] = "Production" };
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
        var s = await Scenario.SignUp(app.CreateClient());
        var owner = await s.Owner.Get("/api/v1/users/me");
        Assert.Equal(HttpStatusCode.OK, owner.Status);

        foreach (var path in new[] { "/dashboard", $"/dashboard/GrainState?grainId={s.Tenant}/{s.OwnerId}&grainType=Voki.Grains.Grains.UserGrain" })
        {
            var response = await s.Anonymous.Get(path);
            Assert.Equal(HttpStatusCode.NotFound, response.Status);
            Assert.Equal("""{"errors":{"detail":"Not Found"}}""", response.Body!.ToJsonString());
        }
    }
}
