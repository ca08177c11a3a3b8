using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>
/// The production limits that follow an account, a token family and a call, with the per-minute address limits out of the
/// way (forgot-password's hourly one per address stays).
/// </summary>
public sealed class AccountLimitedApp : VokiApp
{
    protected override IDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["RateLimits:AuthPerMinute"] = "100000",
        ["RateLimits:SignupsPerHour"] = "100000",
    };
}

/// <summary>
/// A guesser spread over many addresses still meets each account's back-off, and a call centre's agents behind one
/// address are not each other's limit; a customer's status polling has a bucket of its own.
/// </summary>
public sealed class AccountLimitTests(AccountLimitedApp app) : IClassFixture<AccountLimitedApp>
{
    private static object Login(Scenario s, string email, string password) => new { email, password, tenant = s.Tenant };

    [Fact]
    public async Task After_five_wrong_passwords_an_account_backs_off_whatever_the_next_password_is()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var email = $"owner@{s.Tenant}.test";
        for (var i = 0; i < 6; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.Post("/api/auth/login", Login(s, email, "wrong-guess-" + i))).Status);

        var right = await s.Anonymous.Post("/api/auth/login", Login(s, email.ToUpperInvariant(), Scenario.Password));
        Assert.Equal(HttpStatusCode.TooManyRequests, right.Status);
        Assert.Equal("Too Many Requests", right.Detail);
        Assert.Equal("1", right.Message.Headers.GetValues("Retry-After").Single());

        // Another account of the tenant, and the same e-mail in another tenant, are not held up.
        await s.Staff("attendant");
        var other = await Scenario.SignUp(app.CreateClient());
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.Anonymous.Post("/api/auth/login", Login(other, email, "wrong"))).Status);

        await Task.Delay(TimeSpan.FromSeconds(1.2));
        Assert.Equal(HttpStatusCode.OK, (await s.Anonymous.Post("/api/auth/login", Login(s, email, Scenario.Password))).Status);
        // A success starts the count again: five more wrong guesses go through before the next wait.
        for (var i = 0; i < 5; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.Post("/api/auth/login", Login(s, email, "again-wrong-" + i))).Status);
    }

    [Fact]
    public async Task The_wait_doubles_with_each_attempt_past_the_free_ones()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var email = $"nobody-{Guid.NewGuid():N}@{s.Tenant}.test";
        for (var i = 0; i < 6; i++) await s.Anonymous.Post("/api/auth/login", Login(s, email, "guess"));
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.Post("/api/auth/login", Login(s, email, "guess"))).Status);
        var held = await s.Anonymous.Post("/api/auth/login", Login(s, email, "guess"));
        Assert.Equal(HttpStatusCode.TooManyRequests, held.Status);
        Assert.Equal("2", held.Message.Headers.GetValues("Retry-After").Single());
    }

    [Fact]
    public async Task A_burst_of_concurrent_guesses_gets_no_more_password_checks_than_a_sequence()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var email = $"owner@{s.Tenant}.test";
        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => s.Anonymous.Post("/api/auth/login", Login(s, email, "burst-" + i))));
        Assert.Equal(6, answers.Count(a => a.Status == HttpStatusCode.Unauthorized));
        Assert.Equal(24, answers.Count(a => a.Status == HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task Second_factor_guesses_back_off_per_account_like_passwords()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put("/api/v1/company", new { mfa_required = true })).Status);
        var login = await s.Anonymous.Post("/api/auth/login", Login(s, $"owner@{s.Tenant}.test", Scenario.Password));
        var mfaToken = login.Data["mfa_token"]!.GetValue<string>();
        await s.Anonymous.Post("/api/auth/mfa/setup", new { mfa_token = mfaToken });
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
            answers.Add((await s.Anonymous.Post("/api/auth/mfa/verify", new { mfa_token = mfaToken, code = "12345" + i })).Status);
        Assert.Equal(6, answers.Count(a => a == HttpStatusCode.Unauthorized));
        Assert.Equal(HttpStatusCode.TooManyRequests, answers[^1]);
    }

    [Fact]
    public async Task A_token_family_refreshes_three_times_a_minute()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var token = s.RefreshToken;
        for (var i = 0; i < 3; i++)
        {
            var refreshed = await s.Anonymous.Post("/api/auth/refresh", new { refresh_token = token });
            Assert.Equal(HttpStatusCode.OK, refreshed.Status);
            token = refreshed.Data["refresh_token"]!.GetValue<string>();
        }
        var limited = await s.Anonymous.Post("/api/auth/refresh", new { refresh_token = token });
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.Status);
        Assert.InRange(int.Parse(limited.Message.Headers.GetValues("Retry-After").Single()), 1, 60);
        // The refused refresh did not spend the token, and other families of the same user refresh on.
        var login = await s.Anonymous.Post("/api/auth/login", Login(s, $"owner@{s.Tenant}.test", Scenario.Password));
        Assert.Equal(HttpStatusCode.OK, (await s.Anonymous.Post("/api/auth/refresh", new { refresh_token = login.Data["refresh_token"]!.GetValue<string>() })).Status);
    }

    [Fact]
    public async Task Status_polling_has_its_own_bucket_per_call_and_leaves_the_widgets_alone()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var first = (await s.Join(department))["call_id"]!.GetValue<string>();
        var second = (await s.Join(department))["call_id"]!.GetValue<string>();
        // The two joins and their links spent 2 of the 30 widget requests this minute; polling spends none of them.
        for (var i = 0; i < 60; i++) Assert.Equal(HttpStatusCode.OK, (await s.Anonymous.Get($"/api/v1/call/status/{first}")).Status);
        var limited = await s.Anonymous.Get($"/api/v1/call/status/{first}");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.Status);
        Assert.Equal(HttpStatusCode.OK, (await s.Anonymous.Get($"/api/v1/call/status/{second}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await s.Anonymous.Get("/api/v1/call/no-such-token/validate")).Status);
    }

    /// <summary>Forgot-password's own limit per address, over the hour, for whatever accounts it names (none exists here).</summary>
    [Fact]
    public async Task Forgot_password_takes_ten_requests_an_hour_from_one_client_then_429()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        object Forgot(int i) => new { email = $"someone-{i}@{s.Tenant}.test", tenant = s.Tenant };
        for (var i = 0; i < 10; i++) Assert.Equal(HttpStatusCode.OK, (await s.Anonymous.Post("/api/auth/forgot-password", Forgot(i))).Status);
        var limited = await s.Anonymous.Post("/api/auth/forgot-password", Forgot(10));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.Status);
        Assert.Equal("Too Many Requests", limited.Detail);
        Assert.InRange(int.Parse(limited.Message.Headers.GetValues("Retry-After").Single()), 60, 3600);
        // Logging in from that address is not held up by it.
        Assert.Equal(HttpStatusCode.OK, (await s.Anonymous.Post("/api/auth/login", Login(s, $"owner@{s.Tenant}.test", Scenario.Password))).Status);
    }
}
