using System.Security.Cryptography;
using System.Text;
using Voki.Api.Auth;
using Voki.Api.Infrastructure;

namespace Voki.Api.Endpoints;

/// <summary>Configuration section "Turn": the coturn servers and the secret shared with them (static-auth-secret).</summary>
public sealed class TurnOptions
{
    public string[] Urls { get; set; } = [];
    public string SharedSecret { get; set; } = "";
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(12);
}

/// <summary>
/// Time-limited TURN credentials in coturn's REST scheme (draft-uberti-behave-turn-rest §2.2):
/// username "{expiry}:{id}", password base64(HMAC-SHA1(secret, username)).
/// </summary>
public static class TurnEndpoints
{
    public static void MapTurnEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/call/turn-credentials", Credentials).WithTags("Widget (public)").AllowAnonymous().RequireRateLimiting(RateLimits.PublicPolicy)
            .WithSummary("ICE servers for RTCPeerConnection: TURN URLs with credentials that expire after ttl seconds; urls is empty where no TURN server is configured");
    }

    private static IResult Credentials(IConfiguration configuration)
    {
        var options = configuration.GetSection("Turn").Get<TurnOptions>() ?? new TurnOptions();
        if (options.Urls.Length == 0 || string.IsNullOrEmpty(options.SharedSecret))
            return Envelope.Ok(new { urls = Array.Empty<string>(), username = (string?)null, credential = (string?)null, ttl = 0 });
        var (username, credential) = Issue(options.SharedSecret, options.Ttl, DateTimeOffset.UtcNow);
        return Envelope.Ok(new { urls = options.Urls, username, credential, ttl = (int)options.Ttl.TotalSeconds });
    }

    public static (string Username, string Credential) Issue(string secret, TimeSpan ttl, DateTimeOffset now)
    {
        var username = $"{now.Add(ttl).ToUnixTimeSeconds()}:{Guid.NewGuid():N}";
        var credential = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(username)));
        return (username, credential);
    }
}
