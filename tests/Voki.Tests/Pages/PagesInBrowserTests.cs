using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Voki.Tests.Pages;

/// <summary>
/// Real calls through the product's pages in headless Chromium (fake camera and microphone): the customer
/// joins at /call/{token}, the attendant takes the call at /app, and each decodes the other's video and
/// receives their audio through the Phoenix socket, the call grain and the SFU of the node holding it.
/// </summary>
[Collection(BrowserCallCollection.Name)]
public sealed class PagesInBrowserTests(BrowserCallCluster cluster, ITestOutputHelper output)
{
    private KestrelVokiApp Node => cluster.First;

    [Fact]
    public async Task A_customer_and_an_attendant_see_and_hear_each_other_mute_and_hang_up()
    {
        var clock = Stopwatch.StartNew();
        var t = await CallFlows.SignUp(Node.BaseUrl);
        var browser = cluster.Chromium.Browser;

        await using var customer = await CallPage.Open(browser, $"{Node.BaseUrl}/call/{t.LinkToken}", "customer");
        await customer.State("join");
        Assert.Equal("Suporte Técnico", await customer.Page.Locator("#department-name").TextContentAsync());
        await customer.TestId("join-submit").ClickAsync();
        Assert.Contains("can't be blank", await customer.Page.Locator("#join-name-error").TextContentAsync());
        await customer.Shoot("1-customer-join");
        await customer.TestId("join-name").FillAsync("Paula Mendes");
        await customer.TestId("join-email").FillAsync("paula@example.com");
        await customer.TestId("join-reason").FillAsync("Second copy of my bill");
        await customer.TestId("join-submit").ClickAsync();
        await customer.State("waiting");
        Assert.Equal("1", (await customer.TestId("queue-position").TextContentAsync())!.Trim());
        await customer.Shoot("2-customer-waiting");

        await using var attendant = await CallFlows.LogsIn(browser, Node.BaseUrl, t, t.Attendant, "attendant");
        var item = attendant.Page.Locator("[data-testid=\"queue-item\"]", new() { HasText = "Paula Mendes" });
        Assert.Contains("Second copy of my bill", await item.TextContentAsync());
        await attendant.Shoot("3-console-queue");
        await CallFlows.TakesCall(attendant, "Paula Mendes");
        Assert.Equal("Call with Paula Mendes", await attendant.Page.Locator("#call-title").TextContentAsync());
        await customer.State("call");
        var joined = clock.Elapsed;

        // Each side decodes the other's video and receives their audio, still rising a second later.
        await customer.ReceivesMediaFrom(1);
        await attendant.ReceivesMediaFrom(1);
        var flowing = clock.Elapsed;
        var callId = await customer.Page.EvaluateAsync<string>("() => window.voki.call.call_id");
        var holder = await cluster.NodeHolding(CallGrain(t, callId));
        await AssertAdvertises(BrowserCallCluster.Media(holder).Port, customer, attendant);
        Assert.True(await customer.TestId("local-video").IsVisibleAsync());
        Assert.True(await customer.Page.Locator($"[data-testid=\"remote-video\"][data-stream-id=\"{t.Attendant.Id}\"] video").IsVisibleAsync());
        Assert.True(await attendant.Page.Locator("[data-testid=\"remote-video\"][data-stream-id=\"customer\"] video").IsVisibleAsync());
        Assert.Equal("Paula Mendes", await attendant.Page.Locator("[data-stream-id=\"customer\"] figcaption").TextContentAsync());
        Assert.Equal("A attendant", await customer.Page.Locator($"[data-stream-id=\"{t.Attendant.Id}\"] figcaption").TextContentAsync());
        // Offers went out once per connection, not in a loop.
        Assert.InRange(await customer.Page.EvaluateAsync<int>("() => window.voki.media.offers"), 1, 3);

        // Mute: the customer hears of it and shows it; the attendant's microphone really sends silence.
        var before = await Sound(customer);
        await attendant.TestId("toggle-mic").ClickAsync();
        Assert.Equal("true", await attendant.TestId("toggle-mic").GetAttributeAsync("aria-pressed"));
        var mute = await customer.Event("mute", p => p.GetProperty("participant_id").GetString() == t.Attendant.Id);
        Assert.Equal("audio", mute.GetProperty("type").GetString());
        Assert.True(mute.GetProperty("muted").GetBoolean());
        var attendantFigure = customer.Page.Locator($"[data-testid=\"remote-video\"][data-stream-id=\"{t.Attendant.Id}\"]");
        await attendantFigure.Locator("figcaption", new() { HasText = "microphone off" }).WaitForAsync();
        Assert.Equal("true", await attendantFigure.GetAttributeAsync("data-audio-muted"));
        Assert.Contains(new Sender("audio", false, "live"), (await attendant.Stats())!.Senders);
        var muted = await Silence(customer, before);
        output.WriteLine($"muted: customer's inbound audio {before} → {muted}");
        await customer.Shoot("4-customer-call");
        await attendant.Shoot("5-console-call");

        // Hang-up: the attendant completes; media ends on both sides and both hear participant_left and call_ended.
        var media = BrowserCallCluster.Media(holder);
        await attendant.TestId("call-notes").FillAsync("Sent the second copy");
        await attendant.TestId("complete-call").ClickAsync();
        await attendant.State("queue");
        await customer.State("ended");
        Assert.Equal("completed", (await customer.Event("call_ended")).GetProperty("status").GetString());
        Assert.Equal("completed", (await attendant.Event("call_ended")).GetProperty("status").GetString());
        var attendantLeft = await customer.Event("participant_left", p => p.GetProperty("participant_id").GetString() == t.Attendant.Id);
        Assert.Equal("attendant", attendantLeft.GetProperty("role").GetString());
        var customerLeft = await attendant.Event("participant_left", p => p.GetProperty("participant_id").GetString() == "customer");
        Assert.Equal("Paula Mendes", customerLeft.GetProperty("name").GetString());
        Assert.Null(await customer.Stats());
        Assert.Null(await attendant.Stats());
        Assert.Null(media.ExistingSession(TenantKey.For(t.Scenario.Tenant, Guid.Parse(callId))));
        // Nothing of the call is left to forward to or from: every transport it had is unregistered (this
        // collection runs one call at a time).
        Assert.Equal(0, media.PeerCount);

        await customer.TestId("rating-form").WaitForAsync();
        await customer.Shoot("6-customer-rating");
        await customer.TestId("rating-5").CheckAsync();
        await customer.TestId("rating-comment").FillAsync("Very helpful");
        await customer.TestId("rating-submit").ClickAsync();
        await customer.TestId("rating-thanks").WaitForAsync();
        Assert.Empty(customer.Errors);
        Assert.Empty(attendant.Errors);

        var calls = await t.Scenario.Owner.Get($"/api/v1/calls?department_id={t.Department}");
        var call = Assert.Single(calls.Data.AsArray())!;
        Assert.Equal("completed", call["status"]!.GetValue<string>());
        Assert.Equal(t.Attendant.Id, call["user_id"]!.GetValue<string>());
        Assert.Equal(5, call["rating"]!.GetValue<int>());
        Assert.Equal("Very helpful", call["rating_comment"]!.GetValue<string>());
        Assert.Equal("Sent the second copy", call["notes"]!.GetValue<string>());
        output.WriteLine($"call taken at {joined.TotalSeconds:F1} s, media both ways at {flowing.TotalSeconds:F1} s, done at {clock.Elapsed.TotalSeconds:F1} s; grain on {(holder == cluster.First ? "first" : "second")} node");
    }

    [Fact]
    public async Task A_supervisor_joins_from_the_console_and_everyone_receives_both_others()
    {
        var clock = Stopwatch.StartNew();
        var t = await CallFlows.SignUp(Node.BaseUrl);
        var browser = cluster.Chromium.Browser;
        await using var customer = await CallFlows.CustomerJoins(browser, Node.BaseUrl, t.LinkToken, "Rita Alves");
        await using var attendant = await CallFlows.LogsIn(browser, Node.BaseUrl, t, t.Attendant, "attendant");
        await CallFlows.TakesCall(attendant, "Rita Alves");
        await customer.State("call");

        // The supervisor's console lists the call in progress; joining it makes a third participant.
        await using var supervisor = await CallFlows.LogsIn(browser, Node.BaseUrl, t, t.Supervisor, "supervisor");
        await CallFlows.JoinsCall(supervisor, "Rita Alves");
        var joined = await customer.Event("participant_joined", p => p.GetProperty("participant_id").GetString() == t.Supervisor.Id);
        Assert.Equal("supervisor", joined.GetProperty("role").GetString());
        var started = clock.Elapsed;

        // Everyone decodes both others' video and receives both others' audio: four inbound streams each.
        foreach (var page in new[] { customer, attendant, supervisor })
        {
            var stats = await page.ReceivesMediaFrom(2);
            Assert.Equal(4, stats.Inbound.Count(i => i.Frames > 0 || i.Packets > 0));
            Assert.Equal(2, await page.Page.Locator("[data-testid=\"remote-video\"] video").CountAsync());
        }
        var flowing = clock.Elapsed;
        var callId = await customer.Page.EvaluateAsync<string>("() => window.voki.call.call_id");
        var holder = await cluster.NodeHolding(CallGrain(t, callId));
        await AssertAdvertises(BrowserCallCluster.Media(holder).Port, customer, attendant, supervisor);
        // Each video is captioned with its participant's name.
        foreach (var (page, names) in new[] { (customer, new[] { "A attendant", "A supervisor" }), (attendant, ["Rita Alves", "A supervisor"]), (supervisor, ["Rita Alves", "A attendant"]) })
            Assert.Equal(names.Order(), (await page.Page.Locator("[data-testid=\"remote-video\"] figcaption").AllTextContentsAsync()).Order());

        await attendant.TestId("complete-call").ClickAsync();
        await customer.State("ended");
        await supervisor.State("queue");
        foreach (var page in new[] { customer, attendant, supervisor })
            Assert.Equal("completed", (await page.Event("call_ended")).GetProperty("status").GetString());
        Assert.Null(await supervisor.Stats());
        Assert.Empty(customer.Errors.Concat(attendant.Errors).Concat(supervisor.Errors));
        output.WriteLine($"supervisor joined at {started.TotalSeconds:F1} s, four streams each at {flowing.TotalSeconds:F1} s, done at {clock.Elapsed.TotalSeconds:F1} s");
    }

    private ICallGrain CallGrain(CallFlows.Tenant t, string callId) =>
        cluster.First.Services.GetRequiredService<IGrainFactory>().GetGrain<ICallGrain>(TenantKey.For(t.Scenario.Tenant, Guid.Parse(callId)));

    /// <summary>Every SDP the SFU sent these pages names one transport: the media port of the node that holds the call grain.</summary>
    private static async Task AssertAdvertises(int port, params CallPage[] pages)
    {
        foreach (var page in pages)
        {
            var sdps = await page.ReceivedSdp();
            Assert.NotEmpty(sdps);
            Assert.All(sdps, sdp => Assert.Equal([port], CallPage.CandidatePorts(sdp)));
        }
    }

    /// <summary>The receiver hears sound: its inbound audio's total energy grows within a few seconds.</summary>
    private static async Task<RtpStream> Sound(CallPage receiver)
    {
        var first = (await receiver.Stats())!.Inbound.Single(i => i.Kind == "audio");
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 5000)
        {
            await Task.Delay(250);
            var now = (await receiver.Stats())!.Inbound.Single(i => i.Kind == "audio");
            if (now.Energy > first.Energy) return now;
        }
        throw new TimeoutException($"{receiver.Who} hears no sound: {first}");
    }

    /// <summary>
    /// The muted microphone's audio still arrives (packets keep rising) but carries no energy any more:
    /// waits for the receiver's total audio energy to stop growing over a whole second.
    /// </summary>
    private static async Task<RtpStream> Silence(CallPage receiver, RtpStream before)
    {
        var clock = Stopwatch.StartNew();
        var last = before;
        while (clock.ElapsedMilliseconds < 8000)
        {
            await Task.Delay(1000);
            var now = (await receiver.Stats())!.Inbound.Single(i => i.Kind == "audio");
            if (now.Packets > last.Packets && now.Energy - last.Energy < 1e-6) return now;
            last = now;
        }
        throw new TimeoutException($"the muted microphone still carries sound: {before} → {last}");
    }
}
