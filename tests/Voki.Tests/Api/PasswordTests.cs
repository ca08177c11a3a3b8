using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using MimeKit;
using Npgsql;
using Voki.Api.Endpoints;
using Voki.Grains.ReadModel;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>A node that mails through a real SMTP server on loopback, with the production per-account mail limit.</summary>
public class MailingApp : VokiApp
{
    public SmtpSink Mail { get; } = new();

    public LogCapture Log { get; } = new();

    public const string PublicBaseUrl = "https://voki.example.test";

    protected override IDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["Smtp:Host"] = "127.0.0.1",
        ["Smtp:Port"] = Mail.Port.ToString(),
        ["Smtp:From"] = "Voki <no-reply@voki.example.test>",
        ["Smtp:UseTls"] = "false",
        ["Smtp:Timeout"] = "00:00:05",
        ["PublicBaseUrl"] = PublicBaseUrl,
        ["Logging:LogLevel:Voki.Api.Auth.PasswordResetMails"] = "Information",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(logging => logging.AddProvider(Log));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Mail.Dispose();
    }
}

/// <summary>The same node outside Development, without PublicBaseUrl: nothing it could put in a link is to be trusted.</summary>
public sealed class MailingAppWithoutPublicBaseUrl : MailingApp
{
    protected override IDictionary<string, string> Settings
    {
        get
        {
            var settings = new Dictionary<string, string>(base.Settings) { ["environment"] = "Production", ["Operator:Token"] = "" };
            settings.Remove("PublicBaseUrl");
            return settings;
        }
    }
}

/// <summary>
/// A reset link built from the request's Host header would carry a real token to whatever site the asker wrote there:
/// outside Development, without PublicBaseUrl, no link is mailed at all.
/// </summary>
public sealed class ResetLinksTrustNoHostHeaderTests(MailingAppWithoutPublicBaseUrl app) : IClassFixture<MailingAppWithoutPublicBaseUrl>
{
    [Fact]
    public async Task Without_PublicBaseUrl_a_production_node_mails_no_link_and_says_why()
    {
        var http = app.CreateClient();
        var s = await Scenario.SignUp(http, plan: "free");
        var email = $"owner@{s.Tenant}.test";
        http.DefaultRequestHeaders.Host = "attacker.example.test";

        var response = await s.Anonymous.Post("/api/auth/forgot-password", new { email, tenant = s.Tenant });
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal(PasswordEndpoints.ForgotAnswer, response.Data["message"]!.GetValue<string>());
        await Eventually.Holds(() => app.Log.Lines.Any(l => l.Contains($"tenant {s.Tenant} not sent: PublicBaseUrl is not set")),
            TimeSpan.FromSeconds(20), "the refusal logged");
        Assert.Contains(app.Log.Lines, l => l.Contains("Smtp:Host is set but PublicBaseUrl is not"));
        Assert.Empty(app.Mail.MailTo(email));
    }
}

[CollectionDefinition(Name)]
public sealed class MailCollection : ICollectionFixture<MailingApp>
{
    public const string Name = "mail";
}

/// <summary>
/// Forgot and reset by e-mail (reference §1.3): the same answer whether the account exists, a mailed link that works once
/// and expires, and a reset that ends every session of the user and only ever touches the user the link was sent to.
/// </summary>
[Collection(MailCollection.Name)]
public sealed partial class PasswordResetTests(MailingApp app)
{
    private const string NewPassword = "a-brand-new-password-7";

    private static async Task<ApiResponse> Forgot(Scenario s, string email, string tenant) =>
        await s.Anonymous.Post("/api/auth/forgot-password", new { email, tenant });

    private static void AssertTheOneAnswer(ApiResponse response, string what)
    {
        Assert.True(response.Status == HttpStatusCode.OK, $"{what}: {(int)response.Status} {response.Body}");
        Assert.Equal($$$"""{"data":{"message":"{{{PasswordEndpoints.ForgotAnswer}}}"}}""", response.Body!.ToJsonString());
    }

    /// <summary>The token in the mail's link, checking the link points at the public origin's console.</summary>
    private static string TokenOf(MimeMessage mail)
    {
        var link = LinkPattern().Match(mail.TextBody);
        Assert.True(link.Success, $"no reset link in the mail:\n{mail.TextBody}");
        return link.Groups["token"].Value;
    }

    [GeneratedRegex(@"https://voki\.example\.test/app\?reset_token=(?<token>[A-Za-z0-9_-]{43})(\s|$)")]
    private static partial Regex LinkPattern();

    private static Task<ApiResponse> Reset(Scenario s, string token, string password = NewPassword, string? tenant = null) =>
        s.Anonymous.Post("/api/auth/reset-password", tenant is null
            ? new { token, password, password_confirmation = password }
            : new { token, password, password_confirmation = password, tenant });

    private static async Task<HttpStatusCode> LoginStatus(Scenario s, string email, string password, string? tenant = null) =>
        (await s.Anonymous.Post("/api/auth/login", new { email, password, tenant = tenant ?? s.Tenant })).Status;

    [Fact]
    public async Task The_mailed_link_resets_the_password_once_and_ends_every_session()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var member = await s.SignIn("supervisor");
        var otherDevice = await s.Anonymous.Post("/api/auth/login", new { email = member.Email, password = Scenario.Password, tenant = s.Tenant });

        AssertTheOneAnswer(await Forgot(s, member.Email.ToUpperInvariant(), s.Tenant.ToUpperInvariant()), "forgot for an existing account");

        var mail = Assert.Single(await app.Mail.AwaitMailTo(member.Email));
        Assert.Equal("Reset your Voki password", mail.Subject);
        Assert.Equal("no-reply@voki.example.test", Assert.Single(mail.From.Mailboxes).Address);
        Assert.Contains($"Company {s.Tenant}", mail.TextBody);
        Assert.Contains("30 minutes", mail.TextBody);
        var token = TokenOf(mail);

        var reset = await Reset(s, token);
        Assert.True(reset.Status == HttpStatusCode.OK, $"reset: {(int)reset.Status} {reset.Body}");
        Assert.Equal(PasswordEndpoints.ResetAnswer, reset.Data["message"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Unauthorized, (await member.Client.Get("/api/v1/users/me")).Status);
        foreach (var refresh in new[] { member.RefreshToken, otherDevice.Data["refresh_token"]!.GetValue<string>() })
            Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.Post("/api/auth/refresh", new { refresh_token = refresh })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginStatus(s, member.Email, Scenario.Password));
        Assert.Equal(HttpStatusCode.OK, await LoginStatus(s, member.Email, NewPassword));

        var again = await Reset(s, token, "yet-another-password-9");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, again.Status);
        Assert.Equal(["is invalid or has expired"], again.FieldErrors("token"));
        Assert.Equal(HttpStatusCode.OK, await LoginStatus(s, member.Email, NewPassword));
    }

    [Fact]
    public async Task An_expired_link_resets_nothing()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var member = await s.SignIn();
        AssertTheOneAnswer(await Forgot(s, member.Email, s.Tenant), "forgot");
        var token = TokenOf(Assert.Single(await app.Mail.AwaitMailTo(member.Email)));

        // Half an hour passes: the row's expiry is where the clock is read.
        await using (var db = new NpgsqlConnection(app.ConnectionString))
        {
            await db.OpenAsync();
            await using var expire = new NpgsqlCommand("UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1", db);
            expire.Parameters.AddWithValue(PasswordResetStore.Hash(token));
            Assert.Equal(1, await expire.ExecuteNonQueryAsync());
        }

        var reset = await Reset(s, token);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, reset.Status);
        Assert.Equal(["is invalid or has expired"], reset.FieldErrors("token"));
        Assert.Equal(HttpStatusCode.OK, (await member.Client.Get("/api/v1/users/me")).Status);
        Assert.Equal(HttpStatusCode.OK, await LoginStatus(s, member.Email, Scenario.Password));
    }

    [Fact]
    public async Task A_password_change_spends_every_link_mailed_before_it()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var member = await s.SignIn();
        AssertTheOneAnswer(await Forgot(s, member.Email, s.Tenant), "first forgot");
        AssertTheOneAnswer(await Forgot(s, member.Email, s.Tenant), "second forgot");
        var tokens = (await app.Mail.AwaitMailTo(member.Email, 2)).Select(TokenOf).ToList();
        Assert.NotEqual(tokens[0], tokens[1]);

        Assert.Equal(HttpStatusCode.OK, (await Reset(s, tokens[0])).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Reset(s, tokens[1], "the-other-link-password")).Status);
        Assert.Equal(HttpStatusCode.OK, await LoginStatus(s, member.Email, NewPassword));

        // The same for a change by the user themselves and for a manager's reset.
        var login = await s.Anonymous.Post("/api/auth/login", new { email = member.Email, password = NewPassword, tenant = s.Tenant });
        var signedIn = s.Anonymous.As(login.Data["access_token"]!.GetValue<string>(), s.Tenant);
        AssertTheOneAnswer(await Forgot(s, member.Email, s.Tenant), "third forgot");
        var beforeOwnChange = TokenOf((await app.Mail.AwaitMailTo(member.Email, 3))[2]);
        Assert.Equal(HttpStatusCode.OK,
            (await signedIn.Put("/api/v1/users/me/password", new { current_password = NewPassword, password = "changed-by-myself-1" })).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Reset(s, beforeOwnChange, "through-an-old-link-1")).Status);
        Assert.Equal(HttpStatusCode.OK, await LoginStatus(s, member.Email, "changed-by-myself-1"));
    }

    [Fact]
    public async Task A_managers_reset_spends_the_users_links()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var member = await s.SignIn();
        AssertTheOneAnswer(await Forgot(s, member.Email, s.Tenant), "forgot");
        var token = TokenOf(Assert.Single(await app.Mail.AwaitMailTo(member.Email)));
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put($"/api/v1/users/{member.Id}", new { password = "set-by-the-manager-1" })).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Reset(s, token)).Status);
        Assert.Equal(HttpStatusCode.OK, await LoginStatus(s, member.Email, "set-by-the-manager-1"));
    }

    [Fact]
    public async Task Accounts_that_do_not_exist_get_the_same_answer_and_no_mail()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var member = await s.SignIn();
        var deactivated = await s.SignIn();
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put($"/api/v1/users/{deactivated.Id}", new { active = false })).Status);
        var elsewhere = "t" + Guid.NewGuid().ToString("N")[..12];
        var unknown = $"nobody-{Guid.NewGuid():N}@{s.Tenant}.test";

        AssertTheOneAnswer(await Forgot(s, unknown, s.Tenant), "an unknown address");
        AssertTheOneAnswer(await Forgot(s, deactivated.Email, s.Tenant), "a deactivated user");
        AssertTheOneAnswer(await Forgot(s, member.Email, elsewhere), "a member's address at a company that does not exist");
        AssertTheOneAnswer(await Forgot(s, member.Email, s.Tenant), "the member");

        await app.Mail.AwaitMailTo(member.Email);
        await Eventually.Holds(() => app.Log.Lines.Count(l => l.Contains("no active account in tenant " + s.Tenant)) == 2
                && app.Log.Lines.Any(l => l.Contains("no active account in tenant " + elsewhere)),
            TimeSpan.FromSeconds(20), "the three requests without an account handled");
        Assert.Empty(app.Mail.MailTo(unknown));
        Assert.Empty(app.Mail.MailTo(deactivated.Email));
        Assert.Single(app.Mail.MailTo(member.Email));
    }

    [Fact]
    public async Task A_link_resets_only_the_user_it_was_mailed_to_never_another_tenants()
    {
        var a = await Scenario.SignUp(app.CreateClient());
        var b = await Scenario.SignUp(app.CreateClient());
        var sharedAddress = $"maria-{Guid.NewGuid():N}@example.test";
        var inA = await a.SignIn(email: sharedAddress);
        var inB = await b.SignIn(email: sharedAddress);

        AssertTheOneAnswer(await Forgot(a, sharedAddress, a.Tenant), "forgot in A");
        var token = TokenOf(Assert.Single(await app.Mail.AwaitMailTo(sharedAddress)));

        // Presented for tenant B, A's link is as good as none, and stays unspent for A.
        var refused = await Reset(b, token, "hijacked-in-b-1", tenant: b.Tenant);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
        Assert.Equal(["is invalid or has expired"], refused.FieldErrors("token"));
        Assert.Equal(HttpStatusCode.OK, (await Reset(a, token, tenant: a.Tenant)).Status);

        Assert.Equal(HttpStatusCode.OK, await LoginStatus(a, sharedAddress, NewPassword));
        Assert.Equal(HttpStatusCode.Unauthorized, (await inA.Client.Get("/api/v1/users/me")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, await LoginStatus(b, sharedAddress, NewPassword));
        Assert.Equal(HttpStatusCode.OK, await LoginStatus(b, sharedAddress, Scenario.Password));
        Assert.Equal(HttpStatusCode.OK, (await inB.Client.Get("/api/v1/users/me")).Status);
        Assert.Equal(HttpStatusCode.OK, (await b.Anonymous.Post("/api/auth/refresh", new { refresh_token = inB.RefreshToken })).Status);
    }

    [Fact]
    public async Task A_bad_new_password_is_refused_before_the_link_is_spent()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var member = await s.SignIn();
        AssertTheOneAnswer(await Forgot(s, member.Email, s.Tenant), "forgot");
        var token = TokenOf(Assert.Single(await app.Mail.AwaitMailTo(member.Email)));

        var tooShort = await s.Anonymous.Post("/api/auth/reset-password", new { token, password = "short" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooShort.Status);
        Assert.Equal(["should be at least 8 character(s)"], tooShort.FieldErrors("password"));
        var mismatch = await s.Anonymous.Post("/api/auth/reset-password", new { token, password = NewPassword, password_confirmation = "something-else" });
        Assert.Equal(["does not match password"], mismatch.FieldErrors("password_confirmation"));
        var tooLong = await s.Anonymous.Post("/api/auth/reset-password", new { token, password = new string('x', 1025) });
        Assert.Equal(["should be at most 1024 character(s)"], tooLong.FieldErrors("password"));

        Assert.Equal(HttpStatusCode.OK, (await Reset(s, token)).Status);
        Assert.Equal(HttpStatusCode.OK, await LoginStatus(s, member.Email, NewPassword));
    }

    [Fact]
    public async Task Forgot_needs_an_email_and_a_company()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var missing = await s.Anonymous.Post("/api/auth/forgot-password", new { });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.Status);
        Assert.Equal(["can't be blank"], missing.FieldErrors("email"));
        Assert.Equal(["can't be blank"], missing.FieldErrors("tenant"));
    }

    [Fact]
    public async Task An_account_gets_at_most_three_mails_an_hour_and_the_answer_never_changes()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var member = await s.SignIn();
        for (var i = 0; i < 5; i++) AssertTheOneAnswer(await Forgot(s, member.Email, s.Tenant), $"forgot #{i + 1}");
        await app.Mail.AwaitMailTo(member.Email, 3);
        await Eventually.Holds(() => app.Log.Lines.Count(l => l.Contains($"tenant {s.Tenant} not sent: that account's hourly limit")) == 2,
            TimeSpan.FromSeconds(20), "the fourth and fifth requests refused");
        Assert.Equal(3, app.Mail.MailTo(member.Email).Count);
    }

    [Fact]
    public async Task With_the_mail_server_down_forgot_answers_the_same_and_the_failure_is_logged()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var member = await s.SignIn();
        app.Mail.Stop();
        try
        {
            AssertTheOneAnswer(await Forgot(s, member.Email, s.Tenant), "forgot with the SMTP server down");
            await Eventually.Holds(() => app.Log.Lines.Any(l => l.StartsWith("Error") && l.Contains($"tenant {s.Tenant} could not be sent")),
                TimeSpan.FromSeconds(20), "the failed mail logged");
        }
        finally
        {
            app.Mail.Start();
        }
        // The node goes on mailing once the server is back.
        AssertTheOneAnswer(await Forgot(s, member.Email, s.Tenant), "forgot with the SMTP server back");
        Assert.Single(await app.Mail.AwaitMailTo(member.Email));
    }
}

/// <summary>The signed-in user's own change, with the current password; and forgot on a node without SMTP.</summary>
[Collection(ApiCollection.Name)]
public sealed class PasswordChangeTests(VokiApp app)
{
    [Fact]
    public async Task A_user_changes_their_password_with_the_current_one_and_carries_on_in_a_fresh_session()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var (attendant, _) = await s.Staff("attendant");
        var email = (await attendant.Get("/api/v1/users/me")).Data["email"]!.GetValue<string>();
        var otherDevice = await s.Anonymous.Post("/api/auth/login", new { email, password = Scenario.Password, tenant = s.Tenant });

        var wrong = await attendant.Put("/api/v1/users/me/password", new { current_password = "not-my-password", password = "my-new-password-1" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, wrong.Status);
        Assert.Equal(["is invalid"], wrong.FieldErrors("current_password"));
        var missing = await attendant.Put("/api/v1/users/me/password", new { password = "short" });
        Assert.Equal(["can't be blank"], missing.FieldErrors("current_password"));
        Assert.Equal(["should be at least 8 character(s)"], missing.FieldErrors("password"));
        Assert.Equal(HttpStatusCode.OK, (await attendant.Get("/api/v1/users/me")).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.Anonymous.Post("/api/auth/login", new { email, password = Scenario.Password, tenant = s.Tenant })).Status);

        var changed = await attendant.Put("/api/v1/users/me/password",
            new { current_password = Scenario.Password, password = "my-new-password-1", password_confirmation = "my-new-password-1" });
        Assert.True(changed.Status == HttpStatusCode.OK, $"{(int)changed.Status} {changed.Body}");
        Assert.Equal(email, changed.Data["user"]!["email"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Unauthorized, (await attendant.Get("/api/v1/users/me")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await s.Anonymous.Post("/api/auth/refresh", new { refresh_token = otherDevice.Data["refresh_token"]!.GetValue<string>() })).Status);
        var fresh = s.Anonymous.As(changed.Data["access_token"]!.GetValue<string>(), s.Tenant);
        Assert.Equal(HttpStatusCode.OK, (await fresh.Get("/api/v1/users/me")).Status);
        Assert.Equal(HttpStatusCode.OK,
            (await s.Anonymous.Post("/api/auth/refresh", new { refresh_token = changed.Data["refresh_token"]!.GetValue<string>() })).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.Post("/api/auth/login", new { email, password = Scenario.Password, tenant = s.Tenant })).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.Anonymous.Post("/api/auth/login", new { email, password = "my-new-password-1", tenant = s.Tenant })).Status);
    }

    [Fact]
    public async Task Changing_ones_own_password_touches_nobody_else()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var (attendant, _) = await s.Staff("attendant");
        var (colleague, _) = await s.Staff("attendant");
        Assert.Equal(HttpStatusCode.OK,
            (await attendant.Put("/api/v1/users/me/password", new { current_password = Scenario.Password, password = "my-new-password-1" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await colleague.Get("/api/v1/users/me")).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Get("/api/v1/users/me")).Status);
    }

    [Fact]
    public async Task Without_a_mail_server_forgot_answers_the_same()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        foreach (var email in new[] { $"owner@{s.Tenant}.test", $"nobody@{s.Tenant}.test" })
        {
            var response = await s.Anonymous.Post("/api/auth/forgot-password", new { email, tenant = s.Tenant });
            Assert.Equal(HttpStatusCode.OK, response.Status);
            Assert.Equal(PasswordEndpoints.ForgotAnswer, response.Data["message"]!.GetValue<string>());
        }
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Get("/api/v1/users/me")).Status);
    }
}
