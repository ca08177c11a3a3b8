using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Model;

namespace Voki.Tests.Infrastructure;

/// <summary>
/// The routes the running app actually serves under <c>/api/</c>, read from its <see cref="EndpointDataSource"/>,
/// so that a test's hand-written table of endpoints can be checked for completeness.
/// </summary>
public static class AppRoutes
{
    /// <param name="Key">"METHOD /pattern", e.g. "GET /api/v1/calls/{id:guid}".</param>
    /// <param name="MinRole">The highest role any of the route's policies demands; null when it needs no token.</param>
    public sealed record Route(string Key, bool Authenticated, Role? MinRole);

    /// <summary>The platform operator's routes: cross-tenant by design, behind the operator credential only.</summary>
    public const string OperatorPrefix = "/api/operator/";

    /// <summary>Every route under /api/ but the operator's.</summary>
    public static IReadOnlyList<Route> Api(IServiceProvider services) =>
        services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => Pattern(e).StartsWith("/api/", StringComparison.Ordinal) && !Pattern(e).StartsWith(OperatorPrefix, StringComparison.Ordinal))
            .SelectMany(e =>
            {
                var authorize = e.Metadata.GetOrderedMetadata<IAuthorizeData>();
                var authenticated = authorize.Count > 0 && e.Metadata.GetMetadata<IAllowAnonymous>() is null;
                Role? min = authenticated
                    ? authorize.Select(a => Roles.TryParse(a.Policy, out var role) ? role : Role.Attendant).Max()
                    : null;
                var methods = e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"];
                return methods.Select(m => new Route($"{m} {Pattern(e)}", authenticated, min));
            })
            .DistinctBy(r => r.Key)
            .OrderBy(r => r.Key, StringComparer.Ordinal)
            .ToList();

    public static IReadOnlyList<Route> Authenticated(IServiceProvider services) => Api(services).Where(r => r.Authenticated).ToList();

    /// <summary>"/api/v1/calls/" and "/api/v1/calls" are the same route.</summary>
    public static string Normalize(string pattern) => pattern.Length > 1 ? pattern.TrimEnd('/') : pattern;

    private static string Pattern(RouteEndpoint e) => Normalize(e.RoutePattern.RawText ?? "");

    /// <summary>Fails with the difference when the table does not name exactly the app's routes.</summary>
    public static void AssertSameRoutes(IEnumerable<string> expected, IEnumerable<string> actual, string what)
    {
        var table = expected.Select(Key).ToHashSet();
        var app = actual.ToHashSet();
        var missing = app.Except(table).Order(StringComparer.Ordinal).ToList();
        var stale = table.Except(app).Order(StringComparer.Ordinal).ToList();
        static string Lines(List<string> keys) => keys.Count == 0 ? "(none)" : string.Join("\n  ", keys);
        Assert.True(missing.Count == 0 && stale.Count == 0,
            $"The {what} table and the app's routes differ.\n" +
            $"Served by the app but missing from the table (add them, with their checks):\n  {Lines(missing)}\n" +
            $"In the table but not served by the app:\n  {Lines(stale)}");
    }

    /// <summary>"GET /api/v1/calls/" → "GET /api/v1/calls".</summary>
    public static string Key(string methodAndPattern)
    {
        var space = methodAndPattern.IndexOf(' ');
        return $"{methodAndPattern[..space]} {Normalize(methodAndPattern[(space + 1)..])}";
    }
}
