using Microsoft.Playwright;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Pages;

/// <summary>The steps people take in the pages: a customer joins through a link, staff log in to the console and take or join calls.</summary>
public static class CallFlows
{
    public const string Attendant = "attendant", Supervisor = "supervisor";

    /// <summary>A tenant with one department, an attendant (and a supervisor), and an access link to it.</summary>
    public sealed record Tenant(Scenario Scenario, string Department, Staff Attendant, Staff Supervisor, string LinkToken);

    public sealed record Staff(ApiClient Api, string Id, string Email);

    public static async Task<Tenant> SignUp(string baseUrl, string departmentName = "Suporte Técnico", string plan = "professional")
    {
        var s = await Scenario.SignUp(new HttpClient { BaseAddress = new Uri(baseUrl) }, plan);
        var department = await s.Department(new { name = departmentName });
        async Task<Staff> Member(string role)
        {
            var (api, id) = await s.Staff(role, department);
            return new Staff(api, id, (await api.Get("/api/v1/users/me")).Data["email"]!.GetValue<string>());
        }
        var link = await s.Link(department);
        return new Tenant(s, department, await Member(Attendant), await Member(Supervisor), link["token"]!.GetValue<string>());
    }

    /// <summary>The customer opens /call/{token}, fills in the form and waits in the queue.</summary>
    public static async Task<CallPage> CustomerJoins(IBrowser browser, string baseUrl, string linkToken, string name, string? initScript = null)
    {
        var customer = await CallPage.Open(browser, $"{baseUrl}/call/{linkToken}", "customer", initScript);
        await customer.State("join");
        await customer.TestId("join-name").FillAsync(name);
        await customer.TestId("join-email").FillAsync("customer@example.com");
        await customer.TestId("join-reason").FillAsync("Second copy of my bill");
        await customer.TestId("join-submit").ClickAsync();
        await customer.State("waiting");
        return customer;
    }

    /// <summary>A staff member opens /app and logs in; the console shows the queue.</summary>
    public static async Task<CallPage> LogsIn(IBrowser browser, string baseUrl, Tenant tenant, Staff staff, string who, string? initScript = null)
    {
        var console = await CallPage.Open(browser, $"{baseUrl}/app", who, initScript);
        await console.State("login");
        await console.TestId("login-tenant").FillAsync(tenant.Scenario.Tenant);
        await console.TestId("login-email").FillAsync(staff.Email);
        await console.TestId("login-password").FillAsync(Scenario.Password);
        await console.TestId("login-submit").ClickAsync();
        await console.State("queue");
        return console;
    }

    /// <summary>The attendant takes the customer's call from the queue (assign + start) and the call view opens.</summary>
    public static async Task TakesCall(CallPage console, string customerName)
    {
        var item = console.Page.Locator("[data-testid=\"queue-item\"]", new PageLocatorOptions { HasText = customerName });
        await item.Locator("[data-testid=\"take-call\"]").ClickAsync();
        await console.State("call");
    }

    /// <summary>A supervisor joins a call in progress from the console's list of other calls.</summary>
    public static async Task JoinsCall(CallPage console, string customerName)
    {
        var item = console.Page.Locator("[data-testid=\"other-call\"]", new PageLocatorOptions { HasText = customerName });
        await item.Locator("[data-testid=\"join-call\"]").ClickAsync();
        await console.State("call");
    }
}
