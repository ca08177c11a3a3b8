using System.Net;
using System.Text.Json.Nodes;
using OtpNet;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>
/// TOTP MFA as reference §1.3/§1.6 describe it: a login of a user with MFA answers mfa_required with an mfa_token, and
/// POST /api/auth/mfa/verify finishes it; a company's mfa_required makes users without MFA enrol at their next login.
/// Codes are computed here with Otp.NET, as an authenticator app would from the otpauth:// URI.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class MfaTests(VokiApp app)
{
    /// <summary>The code of the next 30 s step: the current one may already be spent (a step is accepted once).</summary>
    private static string NextCode(string secret) => new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(DateTime.UtcNow.AddSeconds(30));

    private static string CurrentCode(string secret) => new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(DateTime.UtcNow);

    private static string WrongCode(string secret) => ((int.Parse(CurrentCode(secret)) + 500_000) % 1_000_000).ToString("D6");

    private static Task<ApiResponse> Login(Scenario s, string email) =>
        s.Anonymous.Post("/api/auth/login", new { email, password = Scenario.Password, tenant = s.Tenant });

    private static async Task<(string Secret, string[] RecoveryCodes)> Enrol(Scenario.SignedInMember staff)
    {
        var setup = await staff.Client.Post("/api/v1/users/me/mfa/setup");
        Assert.Equal(HttpStatusCode.OK, setup.Status);
        var secret = setup.Data["secret"]!.GetValue<string>();
        var enabled = await staff.Client.Post("/api/v1/users/me/mfa/enable", new { code = CurrentCode(secret) });
        Assert.Equal(HttpStatusCode.OK, enabled.Status);
        return (secret, enabled.Data["recovery_codes"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray());
    }

    [Fact]
    public async Task A_user_enrols_then_logs_in_with_a_code_once_and_a_recovery_code_once()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var staff = await s.SignIn();
        var setup = await staff.Client.Post("/api/v1/users/me/mfa/setup");
        var secret = setup.Data["secret"]!.GetValue<string>();
        var uri = setup.Data["otpauth_uri"]!.GetValue<string>();
        Assert.StartsWith("otpauth://totp/", uri);
        Assert.Contains($"secret={secret}", uri);
        Assert.Contains(Uri.EscapeDataString(staff.Email), uri);
        var wrong = await staff.Client.Post("/api/v1/users/me/mfa/enable", new { code = WrongCode(secret) });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrong.Status);
        Assert.Equal(["is invalid"], wrong.FieldErrors("code"));
        Assert.False((await staff.Client.Get("/api/v1/users/me")).Data["mfa_enabled"]!.GetValue<bool>());

        var enabled = await staff.Client.Post("/api/v1/users/me/mfa/enable", new { code = CurrentCode(secret) });
        Assert.Equal(HttpStatusCode.OK, enabled.Status);
        var recovery = enabled.Data["recovery_codes"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray();
        Assert.Equal(10, recovery.Distinct().Count());
        Assert.True((await staff.Client.Get("/api/v1/users/me")).Data["mfa_enabled"]!.GetValue<bool>());
        var listed = (await s.Owner.Get("/api/v1/users")).Data.AsArray().Single(u => u!["id"]!.GetValue<string>() == staff.Id)!;
        Assert.True(listed["mfa_enabled"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await staff.Client.Post("/api/v1/users/me/mfa/setup")).Status);

        var login = await Login(s, staff.Email);
        Assert.Equal(HttpStatusCode.OK, login.Status);
        Assert.True(login.Data["mfa_required"]!.GetValue<bool>());
        Assert.False(login.Data["mfa_setup_required"]!.GetValue<bool>());
        Assert.Null(login.Data["access_token"]);
        var mfaToken = login.Data["mfa_token"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.As(mfaToken, s.Tenant).Get("/api/v1/users/me")).Status);

        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.Post("/api/auth/mfa/verify", new { mfa_token = mfaToken, code = WrongCode(secret) })).Status);
        var code = NextCode(secret);
        var verified = await s.Anonymous.Post("/api/auth/mfa/verify", new { mfa_token = mfaToken, code });
        Assert.Equal(HttpStatusCode.OK, verified.Status);
        Assert.Null(verified.Data["recovery_codes"]);
        var signedIn = s.Anonymous.As(verified.Data["access_token"]!.GetValue<string>(), s.Tenant);
        Assert.Equal(staff.Id, (await signedIn.Get("/api/v1/users/me")).Data["id"]!.GetValue<string>());
        var replay = await s.Anonymous.Post("/api/auth/mfa/verify", new { mfa_token = mfaToken, code });
        Assert.Equal(HttpStatusCode.Unauthorized, replay.Status);
        Assert.Equal("Invalid or expired code", replay.Detail);

        var typed = recovery[3].ToUpperInvariant().Replace("-", " ");
        Assert.Equal(HttpStatusCode.OK, (await s.Anonymous.Post("/api/auth/mfa/verify", new { mfa_token = mfaToken, code = typed })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.Post("/api/auth/mfa/verify", new { mfa_token = mfaToken, code = recovery[3] })).Status);
        // An access token is no MFA token.
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await s.Anonymous.Post("/api/auth/mfa/verify", new { mfa_token = staff.Client.Token, code = recovery[4] })).Status);
    }

    [Fact]
    public async Task When_the_company_requires_mfa_a_user_without_it_enrols_at_login_and_cannot_turn_it_off()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var staff = await s.SignIn();
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put("/api/v1/company", new { mfa_required = true })).Status);

        var login = await Login(s, staff.Email);
        Assert.True(login.Data["mfa_required"]!.GetValue<bool>());
        Assert.True(login.Data["mfa_setup_required"]!.GetValue<bool>());
        Assert.Null(login.Data["access_token"]);
        var mfaToken = login.Data["mfa_token"]!.GetValue<string>();
        var setup = await s.Anonymous.Post("/api/auth/mfa/setup", new { mfa_token = mfaToken });
        Assert.Equal(HttpStatusCode.OK, setup.Status);
        var secret = setup.Data["secret"]!.GetValue<string>();

        var verified = await s.Anonymous.Post("/api/auth/mfa/verify", new { mfa_token = mfaToken, code = CurrentCode(secret) });
        Assert.Equal(HttpStatusCode.OK, verified.Status);
        Assert.Equal(10, verified.Data["recovery_codes"]!.AsArray().Count);
        Assert.True(verified.Data["user"]!["mfa_enabled"]!.GetValue<bool>());
        var signedIn = s.Anonymous.As(verified.Data["access_token"]!.GetValue<string>(), s.Tenant);

        var off = await signedIn.Post("/api/v1/users/me/mfa/disable", new { code = NextCode(secret) });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, off.Status);
        Assert.Equal("The company requires MFA for every user", off.Detail);
        // Setup with an mfa_token is only for enrolment: once MFA is on, it refuses.
        var again = await Login(s, staff.Email);
        Assert.False(again.Data["mfa_setup_required"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.UnprocessableEntity,
            (await s.Anonymous.Post("/api/auth/mfa/setup", new { mfa_token = again.Data["mfa_token"]!.GetValue<string>() })).Status);
    }

    [Fact]
    public async Task A_manager_turns_off_a_lost_devices_mfa_which_ends_the_users_sessions_and_voids_pending_logins()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var staff = await s.SignIn();
        var (secret, _) = await Enrol(staff);
        var pending = (await Login(s, staff.Email)).Data["mfa_token"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await s.Owner.Put($"/api/v1/users/{staff.Id}", new { mfa_enabled = true })).Status);
        var cleared = await s.Owner.Put($"/api/v1/users/{staff.Id}", new { mfa_enabled = false });
        Assert.Equal(HttpStatusCode.OK, cleared.Status);
        Assert.False(cleared.Data["mfa_enabled"]!.GetValue<bool>());

        Assert.Equal(HttpStatusCode.Unauthorized, (await staff.Client.Get("/api/v1/users/me")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.Post("/api/auth/mfa/verify", new { mfa_token = pending, code = NextCode(secret) })).Status);
        var login = await Login(s, staff.Email);
        Assert.NotNull(login.Data["access_token"]);
        Assert.Null(login.Data["mfa_required"]);
    }

    [Fact]
    public async Task A_user_turns_their_own_mfa_off_only_with_a_code()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var staff = await s.SignIn();
        var (secret, recovery) = await Enrol(staff);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await staff.Client.Post("/api/v1/users/me/mfa/disable", new { code = WrongCode(secret) })).Status);
        Assert.Equal(HttpStatusCode.OK, (await staff.Client.Post("/api/v1/users/me/mfa/disable", new { code = recovery[0] })).Status);
        Assert.NotNull((await Login(s, staff.Email)).Data["access_token"]);
    }
}
