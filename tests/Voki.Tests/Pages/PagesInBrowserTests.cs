using System.Net;
using System.Text.Json.Nodes;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Pages;

/// <summary>
/// The pages in headless Chromium (fake camera and microphone), driven by Playwright from tests/js:
/// a customer joins through the link, the attendant takes the call in the console, mutes, completes it,
/// and the customer rates it. Media itself flows once the SFU answers offers; until then the customer's
/// page must show the refusal instead of failing silently.
/// </summary>
[Collection(KestrelCollection.Name)]
public sealed class PagesInBrowserTests(KestrelVokiApp app)
{
    [Fact]
    public async Task A_customer_and_an_attendant_meet_through_the_pages()
    {
        var s = await Scenario.SignUp(new HttpClient { BaseAddress = new Uri(app.BaseUrl) });
        var department = await s.Department(new { name = "Suporte Técnico" });
        var (attendant, attendantId) = await s.Staff("attendant", department);
        var email = (await attendant.Get("/api/v1/users/me")).Data["email"]!.GetValue<string>();
        var link = await s.Link(department);

        var seen = await NodeScripts.Run("pages-e2e.mjs", new JsonObject
        {
            ["baseUrl"] = app.BaseUrl,
            ["linkToken"] = link["token"]!.GetValue<string>(),
            ["tenant"] = s.Tenant,
            ["email"] = email,
            ["password"] = Scenario.Password,
        }, TimeSpan.FromMinutes(2));

        Assert.Equal("Suporte Técnico", seen["department"]!.GetValue<string>());
        Assert.Contains("can't be blank", seen["blankNameError"]!.GetValue<string>());
        Assert.Equal("1", seen["position"]!.GetValue<string>());
        Assert.Contains("Paula Mendes", seen["queueItem"]!.GetValue<string>());
        Assert.Equal("Call with Paula Mendes", seen["callTitle"]!.GetValue<string>());
        var media = seen["customerMedia"]!.GetValue<string>();
        Assert.True(media == "remote video" || media.Contains("could not start"), media);
        Assert.True(seen["localVideoPlaying"]!.GetValue<bool>());
        // A refused offer is not retried in a loop: the page waits for the user's "Reconnect".
        Assert.InRange(seen["offers"]!.GetValue<int>(), 1, media == "remote video" ? 10 : 1);
        Assert.Equal("true", seen["micPressed"]!.GetValue<string>());
        Assert.Contains("microphone off", seen["customerHeardMute"]!.GetValue<string>());
        Assert.Contains("Thank you", seen["thanks"]!.GetValue<string>());
        Assert.Empty(seen["pageErrors"]!.AsArray());

        var calls = await s.Owner.Get($"/api/v1/calls?department_id={department}");
        var call = Assert.Single(calls.Data.AsArray())!;
        Assert.Equal("completed", call["status"]!.GetValue<string>());
        Assert.Equal(attendantId, call["user_id"]!.GetValue<string>());
        Assert.Equal(5, call["rating"]!.GetValue<int>());
        Assert.Equal("Very helpful", call["rating_comment"]!.GetValue<string>());
        Assert.Equal("Sent the second copy", call["notes"]!.GetValue<string>());
        Assert.Equal("Second copy of my bill", call["reason"]!.GetValue<string>());
    }
}
