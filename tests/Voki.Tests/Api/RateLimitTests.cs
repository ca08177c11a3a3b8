using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>A node with the production limits: 5/min on /api/auth/*, 30/min on the widget and signup.</summary>
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
}
