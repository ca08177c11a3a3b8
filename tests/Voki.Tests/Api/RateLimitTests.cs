using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>A node with the production limits: 5/min on /api/auth/*, 30/min on the widget, 5/hour on signup.</summary>
public sealed class RateLimitedApp : VokiApp
{
    protected override IDictionary<string, string> Settings => new Dictionary<string, string>();
}

public sealed class RateLimitTests(RateLimitedApp app) : IClassFixture<RateLimitedApp>
{
    [Fact]
    public async Task Auth_endpoints_allow_five_requests_a_minute_then_429_with_retry_after()
    {
        var client = new ApiClient(app.CreateClient());
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Unauthorized,
                (await client.Post("/api/auth/login", new { email = "a@b.co", password = "whatever1", tenant = "nobody" })).Status);
        var limited = await client.Post("/api/auth/login", new { email = "a@b.co", password = "whatever1", tenant = "nobody" });
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.Status);
        Assert.Equal("Too Many Requests", limited.Detail);
        var retryAfter = int.Parse(limited.Message.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, 60);
    }

    [Fact]
    public async Task Widget_allows_thirty_requests_a_minute()
    {
        var client = new ApiClient(app.CreateClient());
        for (var i = 0; i < 30; i++)
            Assert.Equal(HttpStatusCode.NotFound, (await client.Get("/api/v1/call/no-such-token/validate")).Status);
        var limited = await client.Get("/api/v1/call/no-such-token/validate");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.Status);
        Assert.True(limited.Message.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task Signup_allows_five_tenants_an_hour_per_client_so_nobody_squats_slugs_in_bulk()
    {
        var client = new ApiClient(app.CreateClient());
        object Body(int i) => new
        {
            company = new { name = $"Squatter {i}", slug = $"sq{Guid.NewGuid():N}"[..20] },
            user = new { name = "Owner", email = $"owner{i}@squat.test", password = Scenario.Password },
        };
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.Created, (await client.Post("/api/signup/register", Body(i))).Status);
        var limited = await client.Post("/api/signup/register", Body(5));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.Status);
        Assert.InRange(int.Parse(limited.Message.Headers.GetValues("Retry-After").Single()), 60, 3600);
    }

    [Theory]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true)]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:3::1", false)]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7", true)]
    [InlineData("192.0.2.7", "192.0.2.8", false)]
    public void An_ipv6_client_is_counted_per_64(string a, string b, bool same) =>
        Assert.Equal(same, Voki.Api.Auth.ClientAddress.Partition(System.Net.IPAddress.Parse(a)) == Voki.Api.Auth.ClientAddress.Partition(System.Net.IPAddress.Parse(b)));
}
