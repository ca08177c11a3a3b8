using System.Diagnostics;
using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>
/// decisions.md, second round: public signup makes free tenants whatever the body says, and only the operator,
/// with a credential of its own that no tenant token stands in for, changes a plan.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class OperatorTests(VokiApp app)
{
    private static async Task<string> Plan(Scenario s) => (await s.Owner.Get("/api/v1/billing/plan")).Data["plan"]!.GetValue<string>();

    [Fact]
    public async Task Signup_makes_a_free_tenant_whatever_plan_the_body_names()
    {
        var anonymous = new ApiClient(app.CreateClient());
        var tenant = "t" + Guid.NewGuid().ToString("N")[..12];
        var signup = await anonymous.Post("/api/signup/register", new
        {
            company = new { name = "Greedy", slug = tenant, plan = "enterprise" },
            user = new { name = "Owner", email = $"owner@{tenant}.test", password = Scenario.Password },
        });
        Assert.Equal(HttpStatusCode.Created, signup.Status);
        Assert.Equal("free", signup.Data["company"]!["plan"]!.GetValue<string>());
        Assert.Equal(1, signup.Data["company"]!["max_concurrent_calls"]!.GetValue<int>());

        var login = await anonymous.Post("/api/auth/login", new { email = $"owner@{tenant}.test", password = Scenario.Password, tenant });
        var owner = anonymous.As(login.Data["access_token"]!.GetValue<string>(), tenant);
        Assert.Equal("free", (await owner.Get("/api/v1/billing/plan")).Data["plan"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await owner.Put("/api/v1/company", new { recording_enabled = true })).Status);
        // Nor does the tenant change it itself: the company update has no plan.
        await owner.Put("/api/v1/company", new { plan = "enterprise" });
        Assert.Equal("free", (await owner.Get("/api/v1/billing/plan")).Data["plan"]!.GetValue<string>());
    }

    [Fact]
    public async Task Only_the_operator_token_changes_a_plan()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "free");
        var path = $"/api/operator/tenants/{s.Tenant}/plan";
        var body = new { plan = "enterprise" };
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.Put(path, body)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Owner.Put(path, body)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.As(VokiApp.OperatorToken + "x", null).Put(path, body)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.As(VokiApp.OperatorToken[..^1], null).Put(path, body)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.Get($"/api/operator/tenants/{s.Tenant}")).Status);
        Assert.Equal("free", await Plan(s));

        // The operator token is no tenant token either.
        var operatorOnTenantRoute = await s.Anonymous.As(VokiApp.OperatorToken, s.Tenant).Get("/api/v1/company");
        Assert.Equal(HttpStatusCode.Unauthorized, operatorOnTenantRoute.Status);
    }

    [Fact]
    public async Task The_operator_moves_a_tenant_up_and_down_and_features_the_new_plan_lacks_are_switched_off()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "free");
        var operatorClient = s.Anonymous.As(VokiApp.OperatorToken, null);

        var up = await operatorClient.Put($"/api/operator/tenants/{s.Tenant}/plan", new { plan = "advanced" });
        Assert.Equal(HttpStatusCode.OK, up.Status);
        Assert.Equal("advanced", up.Data["plan"]!.GetValue<string>());
        var billing = await s.Owner.Get("/api/v1/billing/plan");
        Assert.Equal("advanced", billing.Data["plan"]!.GetValue<string>());
        Assert.Equal(5, billing.Data["max_concurrent_calls"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put("/api/v1/company", new { recording_enabled = true, transcription_enabled = true })).Status);

        Assert.Equal(HttpStatusCode.OK, (await operatorClient.Put($"/api/operator/tenants/{s.Tenant}/plan", new { plan = "basic" })).Status);
        var company = (await s.Owner.Get("/api/v1/company")).Data;
        Assert.True(company["recording_enabled"]!.GetValue<bool>());
        Assert.False(company["transcription_enabled"]!.GetValue<bool>());

        Assert.Equal(HttpStatusCode.OK, (await operatorClient.Put($"/api/operator/tenants/{s.Tenant}/plan", new { plan = "free" })).Status);
        company = (await operatorClient.Get($"/api/operator/tenants/{s.Tenant}")).Data;
        Assert.Equal("free", company["plan"]!.GetValue<string>());
        Assert.False(company["recording_enabled"]!.GetValue<bool>());
        Assert.Equal(1, company["max_concurrent_calls"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_operator_api_refuses_bad_input_clearly()
    {
        var s = await Scenario.SignUp(app.CreateClient(), plan: "free");
        var operatorClient = s.Anonymous.As(VokiApp.OperatorToken, null);
        var invalid = await operatorClient.Put($"/api/operator/tenants/{s.Tenant}/plan", new { plan = "platinum" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.Status);
        Assert.Equal(["is invalid"], invalid.FieldErrors("plan"));
        Assert.NotEmpty((await operatorClient.Put($"/api/operator/tenants/{s.Tenant}/plan", new { })).FieldErrors("plan"));
        Assert.Equal(HttpStatusCode.NotFound, (await operatorClient.Put("/api/operator/tenants/no-such-tenant/plan", new { plan = "basic" })).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await operatorClient.Get("/api/operator/tenants/no-such-tenant")).Status);
        Assert.Equal(HttpStatusCode.BadRequest,
            (await operatorClient.Send(HttpMethod.Put, $"/api/operator/tenants/{s.Tenant}/plan", null, rawBody: "{\"plan\":")).Status);
        Assert.Equal("free", await Plan(s));
    }
}

/// <summary><c>./voki plan</c>: the operator's command against a running node.</summary>
[Collection(KestrelCollection.Name)]
public sealed class PlanCommandTests(KestrelVokiApp app)
{
    private static async Task<(int Exit, string Output)> Voki(string baseUrl, string? token, params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(NodeScripts.RepositoryRoot(), "voki"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["VOKI_URL"] = baseUrl;
        if (token is null) start.Environment.Remove("Operator__Token"); else start.Environment["Operator__Token"] = token;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    [Fact]
    public async Task Voki_plan_changes_a_tenants_plan_with_the_operator_token_and_reports_a_refusal()
    {
        var s = await Scenario.SignUp(new HttpClient { BaseAddress = new Uri(app.BaseUrl) }, plan: "free");

        var (exit, output) = await Voki(app.BaseUrl, VokiApp.OperatorToken, "plan", s.Tenant, "professional");
        Assert.True(exit == 0, output);
        Assert.Equal("professional", (await s.Owner.Get("/api/v1/billing/plan")).Data["plan"]!.GetValue<string>());

        (exit, output) = await Voki(app.BaseUrl, VokiApp.OperatorToken, "plan", s.Tenant, "platinum");
        Assert.Equal(1, exit);
        Assert.Contains("422", output);
        // The node is configured with its own token, so the development one the command falls back to is refused.
        (exit, output) = await Voki(app.BaseUrl, null, "plan", s.Tenant, "free");
        Assert.Equal(1, exit);
        Assert.Contains("401", output);
        (exit, _) = await Voki(app.BaseUrl, VokiApp.OperatorToken, "plan", "Bad Slug\"", "free");
        Assert.Equal(2, exit);
        Assert.Equal("professional", (await s.Owner.Get("/api/v1/billing/plan")).Data["plan"]!.GetValue<string>());
    }
}
