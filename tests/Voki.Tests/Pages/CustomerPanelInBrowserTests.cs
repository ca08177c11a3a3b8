using System.Net;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Pages;

/// <summary>The console's call view in Chromium shows the customer beside the call: internal notes to read and keep, and earlier calls.</summary>
[Collection(BrowserCallCollection.Name)]
public sealed class CustomerPanelInBrowserTests(BrowserCallCluster cluster)
{
    private KestrelVokiApp Node => cluster.First;

    [Fact]
    public async Task Taking_a_call_shows_the_customers_notes_and_earlier_calls_and_the_notes_can_be_kept()
    {
        var t = await CallFlows.SignUp(Node.BaseUrl);
        var attendant = t.Attendant.Api;
        var earlier = (await t.Scenario.Join(t.Department, "Paula Mendes"))["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{earlier}/start")).Status);
        Assert.Equal(HttpStatusCode.OK, (await attendant.Post($"/api/v1/calls/{earlier}/complete", new { notes = "Sent a second copy of the bill" })).Status);
        var customer = (await attendant.Get($"/api/v1/calls/{earlier}")).Data["customer_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await attendant.Put($"/api/v1/customers/{customer}", new { notes = "Prefers Portuguese" })).Status);
        await t.Scenario.Join(t.Department, "Paula Mendes"); // the same e-mail: the same customer, calling again

        await using var console = await CallFlows.LogsIn(cluster.Chromium.Browser, Node.BaseUrl, t, t.Attendant, "attendant");
        await CallFlows.TakesCall(console, "Paula Mendes");
        await console.TestId("customer-panel").WaitForAsync();
        Assert.Equal("Prefers Portuguese", await console.TestId("customer-notes").InputValueAsync());
        var history = console.TestId("history-item");
        Assert.Equal(1, await history.CountAsync());
        Assert.Equal(earlier, await history.GetAttributeAsync("data-call-id"));
        Assert.Contains("completed", await history.TextContentAsync());
        Assert.Equal("Sent a second copy of the bill", await history.Locator("[data-testid=\"history-notes\"]").TextContentAsync());
        await console.Shoot("console-customer-panel");

        await console.TestId("customer-notes").FillAsync("Prefers Portuguese; call after 2 pm");
        await console.TestId("save-customer-notes").ClickAsync();
        await console.Page.WaitForFunctionAsync("() => document.getElementById('status').textContent === \"The customer's notes are saved.\"");
        Assert.Equal("Prefers Portuguese; call after 2 pm", (await attendant.Get($"/api/v1/customers/{customer}")).Data["notes"]!.GetValue<string>());
        Assert.Empty(console.Errors);
    }
}
