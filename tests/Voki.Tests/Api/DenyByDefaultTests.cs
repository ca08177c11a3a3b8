using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Voki.Api.Auth;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>
/// Deny by default: the fallback authorization policy wants a signed-in user, so a route mapped without a policy is
/// refused rather than open; the public routes say so explicitly and are exactly these.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class DenyByDefaultTests(VokiApp app)
{
    /// <summary>
    /// Public outside /api/ (the /api/ ones are TenantIsolationTests.PublicRoutes): docs, health, pages, the socket.
    /// Scalar maps several routes of its own under /docs; they count as one. /metrics is public only on a Development
    /// node without Metrics:Token (MetricsTests: refused elsewhere without it).
    /// </summary>
    private static readonly string[] PublicOutsideApi =
        ["/openapi/v1.json", "/docs/…", "/healthz", "/readyz", "/metrics", "/call/{token}", "/app", "/socket/websocket"];

    private IEnumerable<RouteEndpoint> Endpoints => app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();

    [Fact]
    public async Task The_fallback_policy_requires_a_signed_in_user()
    {
        var fallback = await app.Services.GetRequiredService<IAuthorizationPolicyProvider>().GetFallbackPolicyAsync();
        Assert.NotNull(fallback);
        Assert.Contains(fallback.Requirements, r => r is DenyAnonymousAuthorizationRequirement);
    }

    [Fact]
    public void Every_route_names_a_policy_or_is_declared_public()
    {
        var undeclared = Endpoints
            .Where(e => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Count == 0 && e.Metadata.GetMetadata<IAllowAnonymous>() is null)
            .Select(e => e.DisplayName).ToList();
        Assert.True(undeclared.Count == 0, "Routes that rely on the fallback policy (give them a policy or AllowAnonymous):\n  " + string.Join("\n  ", undeclared));

        var publicOutsideApi = Endpoints
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            .Select(e => e.RoutePattern.RawText ?? "")
            .Where(p => !p.StartsWith("/api/", StringComparison.Ordinal) && !p.StartsWith("/dashboard", StringComparison.Ordinal))
            .Select(p => p.StartsWith("/docs/", StringComparison.Ordinal) ? "/docs/…" : p)
            .Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(PublicOutsideApi.Order(StringComparer.Ordinal), publicOutsideApi);
    }

    [Fact]
    public void Operator_routes_take_only_the_operator_policy()
    {
        var operatorRoutes = Endpoints.Where(e => (e.RoutePattern.RawText ?? "").StartsWith(AppRoutes.OperatorPrefix, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(operatorRoutes);
        Assert.All(operatorRoutes, e =>
        {
            Assert.Null(e.Metadata.GetMetadata<IAllowAnonymous>());
            Assert.Equal([Policies.Operator], e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy));
        });
    }

    [Fact]
    public async Task A_path_no_route_claims_is_the_documented_404_for_anyone()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "free");
        foreach (var client in new[] { s.Anonymous, s.Owner })
            foreach (var path in new[] { "/api/v1/no-such-resource", "/no/such/page", "/assets/no-such-file.js" })
            {
                var response = await client.Get(path);
                Assert.Equal(HttpStatusCode.NotFound, response.Status);
                Assert.Equal("""{"errors":{"detail":"Not Found"}}""", response.Body!.ToJsonString());
            }
    }
}
