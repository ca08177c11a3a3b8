using Microsoft.Extensions.Options;
using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Api.Endpoints;

public static class AuthEndpoints
{
    public sealed class LoginRequest { public string? Email { get; set; } public string? Password { get; set; } public string? Tenant { get; set; } }
    public sealed class RefreshRequest { public string? RefreshToken { get; set; } }

    public static void MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Auth").AllowAnonymous().RequireRateLimiting(RateLimits.AuthPolicy);
        auth.MapPost("/login", Login).Accepts<LoginRequest>("application/json")
            .WithSummary("Log in with e-mail, password and tenant slug; returns access and refresh tokens. After 5 attempts in a row without "
                + "success an account backs off (1 s, doubling up to 15 min): 429 with Retry-After, whatever the password");
        auth.MapPost("/refresh", Refresh).Accepts<RefreshRequest>("application/json")
            .WithSummary("Exchange a refresh token for new tokens; the old one stops working (rotation). At most 3 per token family a minute");
        auth.MapPost("/logout", Logout).Accepts<RefreshRequest>("application/json")
            .WithSummary("Revoke the refresh token's whole family; 204");
    }

    private static async Task<IResult> Login(HttpRequest request, IGrainFactory grains, UserRows users, TokenService tokens, RefreshTokenStore refresh,
        IOptions<AuthOptions> options, AccountThrottles throttles)
    {
        var body = await RequestBody.ReadAsync<LoginRequest>(request);
        new Validator().Required("email", body.Email).Required("password", body.Password).Required("tenant", body.Tenant)
            .MaxLength("email", body.Email, 254).MaxLength("tenant", body.Tenant, 64).ThrowIfInvalid();
        var tenant = body.Tenant!.Trim().ToLowerInvariant();
        var email = body.Email!.Trim();
        // Before the password is looked at: while the account waits, a guess learns nothing, right or wrong.
        if (await throttles.LoginAttempt(tenant, email) is { Ticks: > 0 } wait) return RateLimits.TooManyRequests(request.HttpContext.Response, wait);
        var userId = await users.FindIdByEmailAsync(tenant, email) ?? Guid.NewGuid();
        var user = await grains.GetGrain<IUserGrain>(TenantKey.For(tenant, userId)).CheckPassword(body.Password!)
            ?? throw new ApiException(StatusCodes.Status401Unauthorized, "Invalid credentials");
        await throttles.LoginSucceeded(tenant, email);
        return await Session(tenant, user, Guid.NewGuid(), tokens, refresh, options.Value);
    }

    private static async Task<IResult> Refresh(HttpRequest request, IGrainFactory grains, TokenService tokens, RefreshTokenStore refresh, IOptions<AuthOptions> options,
        AccountThrottles throttles)
    {
        var body = await RequestBody.ReadAsync<RefreshRequest>(request);
        new Validator().Required("refresh_token", body.RefreshToken).ThrowIfInvalid();
        if (await refresh.FamilyOfAsync(body.RefreshToken!) is { } family && !throttles.TryRefresh(family, out var wait))
            return RateLimits.TooManyRequests(request.HttpContext.Response, wait);
        var grant = await refresh.ConsumeAsync(body.RefreshToken!) ?? throw ApiException.Unauthorized();
        var user = await grains.GetGrain<IUserGrain>(TenantKey.For(grant.Tenant, grant.UserId)).Get();
        if (user is not { Active: true }) throw ApiException.Unauthorized();
        return await Session(grant.Tenant, user, grant.FamilyId, tokens, refresh, options.Value);
    }

    private static async Task<IResult> Logout(HttpRequest request, RefreshTokenStore refresh)
    {
        var body = await RequestBody.ReadAsync<RefreshRequest>(request);
        new Validator().Required("refresh_token", body.RefreshToken).ThrowIfInvalid();
        if (!await refresh.RevokeFamilyAsync(body.RefreshToken!)) throw ApiException.Unauthorized();
        return Results.NoContent();
    }

    internal static async Task<IResult> Session(string tenant, User user, Guid family, TokenService tokens, RefreshTokenStore refresh, AuthOptions options) =>
        Envelope.Ok(new
        {
            access_token = tokens.IssueAccessToken(tenant, user),
            refresh_token = await refresh.IssueAsync(tenant, user.Id, family, options.RefreshTokenLifetime),
            token_type = "Bearer",
            expires_in = tokens.AccessTokenSeconds,
            user = new { user.Id, user.Name, user.Email, role = user.Role, user.AvatarUrl, user.MfaEnabled },
        });
}
