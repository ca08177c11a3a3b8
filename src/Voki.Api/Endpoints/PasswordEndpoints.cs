using Microsoft.Extensions.Options;
using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Api.Endpoints;

/// <summary>
/// Passwords: the signed-in user's own change (with the current password), and the forgotten one (a mailed, single-use
/// link). Any change ends every session of the user (UserGrain.Update) and spends their outstanding reset links.
/// </summary>
public static class PasswordEndpoints
{
    public sealed class ChangePasswordRequest
    {
        public string? CurrentPassword { get; set; }
        public string? Password { get; set; }
        public string? PasswordConfirmation { get; set; }
    }

    public sealed class ForgotPasswordRequest { public string? Email { get; set; } public string? Tenant { get; set; } }

    public sealed class ResetPasswordRequest
    {
        public string? Token { get; set; }
        public string? Password { get; set; }
        public string? PasswordConfirmation { get; set; }
        public string? Tenant { get; set; }
    }

    /// <summary>The one answer to every well-formed forgot-password request: whether the account exists is nobody's business.</summary>
    public const string ForgotAnswer = "If an active account with this e-mail exists at this company, we have sent it a link to reset its password.";

    public const string ResetAnswer = "Your password has been changed and every session has ended. Log in with the new password.";

    private const string InvalidToken = "is invalid or has expired";

    public static void MapPasswordEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPut("/api/v1/users/me/password", Change).WithTags("Users").RequireAuthorization(Policies.Attendant).Accepts<ChangePasswordRequest>("application/json")
            .WithSummary("Change the caller's own password: {current_password, password (8 to 1024 characters), password_confirmation?}. A wrong current "
                + "password is a 422 on current_password and counts like a failed login (the same back-off). Every session of the user ends, this one "
                + "included: the answer is a new session, shaped like login's");
        var auth = app.MapGroup("/api/auth").WithTags("Auth").AllowAnonymous().RequireRateLimiting(RateLimits.AuthPolicy);
        auth.MapPost("/forgot-password", Forgot).Accepts<ForgotPasswordRequest>("application/json")
            .WithSummary("Ask for a password reset link by e-mail: {email, tenant}. Always 200 with the same message, whether the account exists or "
                + "not; an active account gets a mail with a link valid 30 minutes (Auth:PasswordResetTokenLifetime), at most 3 an hour. At most 10 "
                + "requests an hour per client address (429 with Retry-After)");
        auth.MapPost("/reset-password", Reset).Accepts<ResetPasswordRequest>("application/json")
            .WithSummary("Set a new password with the token of a reset mail: {token, password, password_confirmation?, tenant?}. The token works once "
                + "and expires; any password change spends all of the user's tokens. Every session of the user ends; log in again. An unknown, used "
                + "or expired token (or one of another tenant than tenant) is a 422 on token");
    }

    private static async Task<IResult> Change(HttpContext http, IGrainFactory grains, AccountThrottles throttles, TokenService tokens,
        RefreshTokenStore refresh, IOptions<AuthOptions> options)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<ChangePasswordRequest>(http.Request);
        ValidateNewPassword(new Validator().Required("current_password", body.CurrentPassword).MaxLength("current_password", body.CurrentPassword, 1024),
            body.Password, body.PasswordConfirmation);
        var grain = grains.GetGrain<IUserGrain>(caller.Key(caller.UserId));
        var user = (await grain.Get()).OrNotFound();
        // A stolen access token must not become a way around the login back-off to guess the password.
        if (await throttles.LoginAttempt(caller.Tenant, user.Email) is { Ticks: > 0 } wait) return RateLimits.TooManyRequests(http.Response, wait);
        if (await grain.CheckPassword(body.CurrentPassword!) is null) throw ValidationException.Single("current_password", "is invalid");
        await throttles.LoginSucceeded(caller.Tenant, user.Email);
        var changed = await grain.Update(new UserChanges { Password = body.Password }, caller.Actor).Unwrap();
        return await AuthEndpoints.Session(caller.Tenant, changed, Guid.NewGuid(), tokens, refresh, options.Value);
    }

    private static async Task<IResult> Forgot(HttpContext http, AccountThrottles throttles, PasswordResetMails mails, IConfiguration configuration,
        IWebHostEnvironment environment)
    {
        var body = await RequestBody.ReadAsync<ForgotPasswordRequest>(http.Request);
        new Validator().Required("email", body.Email).Required("tenant", body.Tenant)
            .MaxLength("email", body.Email, 254).MaxLength("tenant", body.Tenant, 64).ThrowIfInvalid();
        if (!throttles.TryPasswordResetRequest(http.Connection.RemoteIpAddress, out var wait)) return RateLimits.TooManyRequests(http.Response, wait);
        // The Host header is the client's to write: a link built from it would mail a real token to whatever site the
        // asker names. Outside Development only the configured origin is trusted with one.
        var origin = configuration["PublicBaseUrl"] is { Length: > 0 } || environment.IsDevelopment() ? PublicUrls.Origin(http, configuration) : null;
        mails.Request(new PasswordResetRequest(body.Tenant!.Trim().ToLowerInvariant(), body.Email!.Trim(), origin));
        return Envelope.Ok(new { message = ForgotAnswer });
    }

    private static async Task<IResult> Reset(HttpRequest request, IGrainFactory grains, PasswordResetStore resets)
    {
        var body = await RequestBody.ReadAsync<ResetPasswordRequest>(request);
        // Checked before the token is spent: a mistyped password must not cost the user their link.
        ValidateNewPassword(new Validator().Required("token", body.Token).MaxLength("token", body.Token, 128), body.Password, body.PasswordConfirmation);
        var grant = await resets.ConsumeAsync(body.Token!, body.Tenant?.Trim().ToLowerInvariant())
            ?? throw ValidationException.Single("token", InvalidToken);
        var grain = grains.GetGrain<IUserGrain>(TenantKey.For(grant.Tenant, grant.UserId));
        if (await grain.Get() is not { Active: true } user) throw ValidationException.Single("token", InvalidToken);
        await grain.Update(new UserChanges { Password = body.Password }, new Actor { UserId = user.Id, Role = user.Role }).Unwrap();
        return Envelope.Ok(new { message = ResetAnswer });
    }

    /// <summary>The rules of user creation (UserEndpoints), plus a confirmation that must match when it is sent.</summary>
    private static void ValidateNewPassword(Validator v, string? password, string? confirmation)
    {
        v.Required("password", password).MinLength("password", password, 8).MaxLength("password", password, 1024);
        if (confirmation is not null && confirmation != password) v.Add("password_confirmation", "does not match password");
        v.ThrowIfInvalid();
    }
}
