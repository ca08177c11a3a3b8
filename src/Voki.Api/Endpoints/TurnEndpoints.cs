using System.Security.Cryptography;
using System.Text;
using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;

namespace Voki.Api.Endpoints;

/// <summary>Configuration section "Turn": the coturn servers and the secret shared with them (static-auth-secret).</summary>
public sealed class TurnOptions
{
    /// <summary>No credential outlives this, whatever Ttl says: a leaked one is a relay for at most an hour.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromHours(1);

    public string[] Urls { get; set; } = [];
    public string SharedSecret { get; set; } = "";
    public TimeSpan Ttl { get; set; } = MaxTtl;

    public TimeSpan EffectiveTtl => Ttl <= TimeSpan.Zero || Ttl > MaxTtl ? MaxTtl : Ttl;
}

/// <summary>
/// Time-limited TURN credentials in coturn's REST scheme (draft-uberti-behave-turn-rest §2.2):
/// username "{expiry}:{id}", password base64(HMAC-SHA1(secret, username)). Only for someone in a call: the customer's
/// websocket_token while its call is not over, or a staff access token (decisions.md "Widget tokens").
/// </summary>
public static class TurnEndpoints
{
    public static void MapTurnEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/call/turn-credentials", Credentials).WithTags("Widget (public)").AllowAnonymous().RequireRateLimiting(RateLimits.PublicPolicy)
            .WithSummary("ICE servers for RTCPeerConnection: TURN URLs with credentials that expire after ttl seconds (at most 3600); urls is empty where "
                + "no TURN server is configured. Authorization: Bearer <websocket_token from join> (401 without it, 403 once the call is over), "
                + "or a staff access token with X-Tenant");
    }

    private static async Task<IResult> Credentials(HttpContext http, IConfiguration configuration, TokenService tokens, IGrainFactory grains)
    {
        var holder = await Holder(http, tokens, grains);
        var options = configuration.GetSection("Turn").Get<TurnOptions>() ?? new TurnOptions();
        if (options.Urls.Length == 0 || string.IsNullOrEmpty(options.SharedSecret))
            return Envelope.Ok(new { urls = Array.Empty<string>(), username = (string?)null, credential = (string?)null, ttl = 0 });
        var (username, credential) = Issue(options.SharedSecret, holder, options.EffectiveTtl, DateTimeOffset.UtcNow);
        return Envelope.Ok(new { urls = options.Urls, username, credential, ttl = (int)options.EffectiveTtl.TotalSeconds });
    }

    /// <summary>Who the credential is for, "{tenant}.{call or user id}": coturn's logs and per-user quota then name them.</summary>
    private static async Task<string> Holder(HttpContext http, TokenService tokens, IGrainFactory grains)
    {
        if (http.User.Claim(ClaimNames.Type) == TokenTypes.Access && http.User.Claim(ClaimNames.Tenant) is { } staffTenant)
            return $"{staffTenant}.{http.User.Claim(ClaimNames.Subject)}";
        var customer = await CustomerGrant.FromRequest(http.Request, tokens) ?? throw ApiException.Unauthorized();
        var call = await grains.GetGrain<ICallGrain>(TenantKey.For(customer.Tenant, customer.CallId)).Get();
        if (call is null || CallStatus.IsFinal(call.Status)) throw ApiException.Forbidden();
        return $"{customer.Tenant}.{customer.CallId:N}";
    }

    public static (string Username, string Credential) Issue(string secret, string holder, TimeSpan ttl, DateTimeOffset now)
    {
        var username = $"{now.Add(ttl).ToUnixTimeSeconds()}:{holder}";
        var credential = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(username)));
        return (username, credential);
    }
}
