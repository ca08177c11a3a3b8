using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Voki.Api.Infrastructure;

namespace Voki.Api.Auth;

/// <summary>
/// Per-client fixed windows (decisions.md "Auth"): 5/min on /api/auth/*, 30/min on the widget, 5/hour on signup, and the
/// customer page's status polling in a bucket of its own per call (it polls every few seconds while it waits).
/// A client is its address, an IPv6 client its /64: one host is handed a whole /64 and picks addresses from it at will.
/// Behind a load balancer the address is the client's only when the balancer is configured (TrustedProxies).
/// </summary>
public static class RateLimits
{
    public const string AuthPolicy = "auth", PublicPolicy = "public", SignupPolicy = "signup", StatusPolicy = "status";

    public static IServiceCollection AddVokiRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var authPerMinute = configuration.GetValue("RateLimits:AuthPerMinute", 5);
        var publicPerMinute = configuration.GetValue("RateLimits:PublicPerMinute", 30);
        var signupsPerHour = configuration.GetValue("RateLimits:SignupsPerHour", 5);
        var statusPerMinute = configuration.GetValue("RateLimits:StatusPerMinute", 60);
        services.AddSingleton<AccountThrottles>();
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(AuthPolicy, http => PerIp(http, "auth", authPerMinute));
            limiter.AddPolicy(PublicPolicy, http => PerIp(http, "public", publicPerMinute));
            limiter.AddPolicy(SignupPolicy, http => PerIp(http, "signup", signupsPerHour, TimeSpan.FromHours(1)));
            limiter.AddPolicy(StatusPolicy, http => PerIp(http, $"status:{http.Request.RouteValues["callId"]}", statusPerMinute));
            limiter.OnRejected = async (context, _) => await TooManyRequests(context.HttpContext.Response,
                context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1)).ExecuteAsync(context.HttpContext);
        });
        return services;
    }

    /// <summary>429 with the documented body and a Retry-After in whole seconds.</summary>
    public static IResult TooManyRequests(HttpResponse response, TimeSpan retryAfter)
    {
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Results.Json(Envelope.Error("Too Many Requests"), statusCode: StatusCodes.Status429TooManyRequests);
    }

    private static RateLimitPartition<string> PerIp(HttpContext http, string scope, int permits, TimeSpan? window = null) =>
        RateLimitPartition.GetFixedWindowLimiter($"{scope}:{ClientAddress.Partition(http.Connection.RemoteIpAddress)}",
            _ => FixedWindows.Options(permits, window ?? TimeSpan.FromMinutes(1)));
}
