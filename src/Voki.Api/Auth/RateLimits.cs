using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Voki.Api.Infrastructure;

namespace Voki.Api.Auth;

/// <summary>
/// Per-client fixed windows (decisions.md "Auth"): 5/min on /api/auth/*, 30/min on the widget, 5/hour on signup.
/// A client is its address, an IPv6 client its /64: one host is handed a whole /64 and picks addresses from it at will.
/// </summary>
public static class RateLimits
{
    public const string AuthPolicy = "auth", PublicPolicy = "public", SignupPolicy = "signup";

    public static IServiceCollection AddVokiRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var authPerMinute = configuration.GetValue("RateLimits:AuthPerMinute", 5);
        var publicPerMinute = configuration.GetValue("RateLimits:PublicPerMinute", 30);
        var signupsPerHour = configuration.GetValue("RateLimits:SignupsPerHour", 5);
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(AuthPolicy, http => PerIp(http, "auth", authPerMinute));
            limiter.AddPolicy(PublicPolicy, http => PerIp(http, "public", publicPerMinute));
            limiter.AddPolicy(SignupPolicy, http => PerIp(http, "signup", signupsPerHour, TimeSpan.FromHours(1)));
            limiter.OnRejected = async (context, cancellation) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                context.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await context.HttpContext.Response.WriteAsJsonAsync(Envelope.Error("Too Many Requests"), cancellation);
            };
        });
        return services;
    }

    private static RateLimitPartition<string> PerIp(HttpContext http, string scope, int permits, TimeSpan? window = null) =>
        RateLimitPartition.GetFixedWindowLimiter($"{scope}:{ClientAddress.Partition(http.Connection.RemoteIpAddress)}", _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = window ?? TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        });
}
