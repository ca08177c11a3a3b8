using Microsoft.Extensions.Options;
using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;
using Voki.Grains.Security;

namespace Voki.Api.Endpoints;

public static class AuthEndpoints
{
    public sealed class LoginRequest { public string? Email { get; set; } public string? Password { get; set; } public string? Tenant { get; set; } }
    public sealed class RefreshRequest { public string? RefreshToken { get; set; } }
    public sealed class MfaRequest { public string? MfaToken { get; set; } public string? Code { get; set; } }

    public static void MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Auth").AllowAnonymous().RequireRateLimiting(RateLimits.AuthPolicy);
        auth.MapPost("/login", Login).Accepts<LoginRequest>("application/json")
            .WithSummary("Log in with e-mail, password and tenant slug; returns access and refresh tokens. After 5 attempts in a row without "
                + "success an account backs off (1 s, doubling up to 15 min): 429 with Retry-After, whatever the password");
        auth.MapPost("/refresh", Refresh).Accepts<RefreshRequest>("application/json")
            .WithSummary("Exchange a refresh token for new tokens; the old one stops working (rotation). At most 3 per token family a minute");
        auth.MapPost("/mfa/verify", VerifyMfa).Accepts<MfaRequest>("application/json")
            .WithSummary("Finish a login that answered mfa_required: {mfa_token, code} with a 6-digit TOTP code or a recovery code → the login's "
                + "answer; when the login also said mfa_setup_required, the code comes from the secret of POST /api/auth/mfa/setup, MFA is "
                + "turned on and the answer adds recovery_codes (shown once). 401 for a wrong code or an expired mfa_token (5 min)");
        auth.MapPost("/mfa/setup", SetUpMfa).Accepts<MfaRequest>("application/json")
            .WithSummary("Enrol at login when the company requires MFA and the user has none: {mfa_token} → {secret, otpauth_uri} for an authenticator app");
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
        var company = await grains.GetGrain<ICompanyGrain>(TenantKey.ForCompany(tenant)).Get();
        if (user.MfaEnabled || company is { MfaRequired: true })
            return Envelope.Ok(new { mfa_required = true, mfa_setup_required = !user.MfaEnabled, mfa_token = tokens.IssueMfaToken(tenant, user) });
        return await Session(tenant, user, Guid.NewGuid(), tokens, refresh, options.Value);
    }

    private static async Task<IResult> VerifyMfa(HttpRequest request, IGrainFactory grains, TokenService tokens, RefreshTokenStore refresh,
        IOptions<AuthOptions> options, AccountThrottles throttles)
    {
        var body = await RequestBody.ReadAsync<MfaRequest>(request);
        new Validator().Required("mfa_token", body.MfaToken).Required("code", body.Code).MaxLength("code", body.Code, 32).ThrowIfInvalid();
        var (tenant, grain, user) = await MfaHolder(body.MfaToken!, grains, tokens);
        // Codes are six digits: without a back-off per account, a password is all an attacker would need.
        var throttleKey = $"mfa:{user.Id}";
        if (await throttles.LoginAttempt(tenant, throttleKey) is { Ticks: > 0 } wait) return RateLimits.TooManyRequests(request.HttpContext.Response, wait);
        string[]? recoveryCodes = null;
        if (user.MfaEnabled)
        {
            if (!await grain.VerifySecondFactor(body.Code!)) throw InvalidCode();
        }
        else
        {
            var enrolled = await grain.ConfirmMfaEnrolment(body.Code!);
            recoveryCodes = enrolled.Value ?? throw InvalidCode();
        }
        await throttles.LoginSucceeded(tenant, throttleKey);
        var signedIn = await grain.Get() ?? throw InvalidCode();
        return await Session(tenant, signedIn, Guid.NewGuid(), tokens, refresh, options.Value, recoveryCodes);
    }

    private static async Task<IResult> SetUpMfa(HttpRequest request, IGrainFactory grains, TokenService tokens)
    {
        var body = await RequestBody.ReadAsync<MfaRequest>(request);
        new Validator().Required("mfa_token", body.MfaToken).ThrowIfInvalid();
        var (tenant, grain, user) = await MfaHolder(body.MfaToken!, grains, tokens);
        var secret = (await grain.BeginMfaEnrolment()).Unwrap();
        var company = await grains.GetGrain<ICompanyGrain>(TenantKey.ForCompany(tenant)).Get();
        return Envelope.Ok(new { secret, otpauth_uri = SecondFactor.OtpAuthUri(secret, $"Voki ({company?.Name ?? tenant})", user.Email) });
    }

    /// <summary>The user an MFA token names, while the token is valid and the user's session version unchanged; else 401.</summary>
    private static async Task<(string Tenant, IUserGrain Grain, User User)> MfaHolder(string mfaToken, IGrainFactory grains, TokenService tokens)
    {
        if (await tokens.ValidateMfaToken(mfaToken) is not { } holder) throw InvalidCode();
        var grain = grains.GetGrain<IUserGrain>(TenantKey.For(holder.Tenant, holder.UserId));
        var user = await grain.Get();
        if (user is not { Active: true } || user.SessionVersion != holder.SessionVersion) throw InvalidCode();
        return (holder.Tenant, grain, user);
    }

    private static ApiException InvalidCode() => new(StatusCodes.Status401Unauthorized, "Invalid or expired code");

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

    internal static async Task<IResult> Session(string tenant, User user, Guid family, TokenService tokens, RefreshTokenStore refresh, AuthOptions options,
        string[]? recoveryCodes = null)
    {
        var session = new
        {
            access_token = tokens.IssueAccessToken(tenant, user),
            refresh_token = await refresh.IssueAsync(tenant, user.Id, family, options.RefreshTokenLifetime),
            token_type = "Bearer",
            expires_in = tokens.AccessTokenSeconds,
            user = new { user.Id, user.Name, user.Email, role = user.Role, user.AvatarUrl, user.MfaEnabled },
        };
        return recoveryCodes is null ? Envelope.Ok(session) : Envelope.Ok(new
        {
            session.access_token, session.refresh_token, session.token_type, session.expires_in, session.user, recovery_codes = recoveryCodes,
        });
    }
}
