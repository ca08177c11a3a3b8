using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using Voki.Tests.Pages;

namespace Voki.Tests.Impairment;

/// <summary>
/// A two-party call through the product's pages, recorded: a company with recording on, a customer who joins through
/// its link (a Chromium page, or a Firefox the caller starts), and an attendant who takes the call in the console.
/// </summary>
public sealed class RecordedCall : IAsyncDisposable
{
    public required CallFlows.Tenant Tenant { get; init; }
    public required string CallId { get; init; }
    public required CallPage Attendant { get; init; }

    /// <summary>The customer's Chromium page; null when the customer is a browser the caller drives.</summary>
    public CallPage? Customer { get; init; }

    /// <summary>A company on a plan that records, with recording on.</summary>
    public static async Task<CallFlows.Tenant> RecordingCompany(string baseUrl)
    {
        var tenant = await CallFlows.SignUp(baseUrl, plan: "advanced");
        var enabled = await tenant.Scenario.Owner.Put("/api/v1/company", new { recording_enabled = true });
        if (enabled.Status != HttpStatusCode.OK) throw new InvalidOperationException($"recording_enabled: {enabled.Status}");
        return tenant;
    }

    /// <summary>Customer and attendant in contexts of one Chromium; returns once each decodes the other's video.</summary>
    public static async Task<RecordedCall> InChromium(IBrowser browser, string baseUrl)
    {
        var tenant = await RecordingCompany(baseUrl);
        var customer = await CallFlows.CustomerJoins(browser, baseUrl, tenant.LinkToken, "Paula Mendes");
        var call = await AttendantTakes(browser, baseUrl, tenant, "Paula Mendes", customer);
        await customer.State("call");
        await customer.ReceivesMediaFrom(1);
        return call;
    }

    /// <summary>The attendant logs in and takes the waiting customer's call; returns once the attendant decodes the customer's video.</summary>
    public static async Task<RecordedCall> AttendantTakes(IBrowser browser, string baseUrl, CallFlows.Tenant tenant, string customerName, CallPage? customer = null)
    {
        var attendant = await CallFlows.LogsIn(browser, baseUrl, tenant, tenant.Attendant, "attendant");
        await CallFlows.TakesCall(attendant, customerName);
        await attendant.ReceivesMediaFrom(1);
        var callId = await attendant.Page.EvaluateAsync<string>("() => window.voki.call.id");
        return new RecordedCall { Tenant = tenant, CallId = callId, Attendant = attendant, Customer = customer };
    }

    /// <summary>Both receivers of a call between two pages, as the measures name them: the customer, then the attendant.</summary>
    public (string Participant, Func<Task<VideoStatsSample>> Sample)[] Sides() =>
        [("customer", () => Sample(Customer ?? throw new InvalidOperationException("the customer is not a page of this test"))), (Tenant.Attendant.Id, () => Sample(Attendant))];

    public static async Task<VideoStatsSample> Sample(CallPage page) =>
        VideoStatsSample.Parse(await page.Page.EvaluateAsync<JsonElement>(VideoStatsSample.Of("window.voki.media.pc")));

    /// <summary>
    /// Waits (at most <paramref name="limit"/>) until each side decodes at least 90 % of the frames the other encodes,
    /// over a second: past the publishers' start-up, before a measurement. Returns whether they got there.
    /// </summary>
    public static async Task<bool> Steady(TimeSpan limit, params (string Participant, Func<Task<VideoStatsSample>> Sample)[] sides)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            var second = await Stretch.Measure(TimeSpan.FromSeconds(1), sides);
            if (second.Sides.All(s => s.Start.Received is not null && s.End.Received is not null && s.Start.Sent is not null && s.End.Sent is not null)
                && second.Directions.All(d => d.Sent.EncodedFps > 0 && d.Received.DecodedFps >= 0.9 * d.Sent.EncodedFps))
                return true;
        }
        return false;
    }

    /// <summary>The attendant completes the call; returns the composed WebM and the capture it was made from, once ready.</summary>
    public async Task<(string Webm, string Capture)> CompleteAndCompose(string recordingsRoot, TimeSpan? limit = null)
    {
        var completed = await Tenant.Attendant.Api.Post($"/api/v1/calls/{CallId}/complete", new { });
        if (completed.Status != HttpStatusCode.OK) throw new InvalidOperationException($"complete: {completed.Status} {completed.Detail}");
        var clock = Stopwatch.StartNew();
        while ((await Tenant.Scenario.Owner.Get($"/api/v1/calls/{CallId}/recording")).Status != HttpStatusCode.OK)
        {
            if (clock.Elapsed > (limit ?? TimeSpan.FromSeconds(90))) throw new TimeoutException($"the recording of {CallId} is not ready after {clock.Elapsed.TotalSeconds:F0} s");
            await Task.Delay(250);
        }
        var directory = Path.Combine(recordingsRoot, Tenant.Scenario.Tenant, CallId);
        return (Path.Combine(directory, "recording.webm"), Path.Combine(directory, "capture"));
    }

    public async ValueTask DisposeAsync()
    {
        await Attendant.DisposeAsync();
        if (Customer is not null) await Customer.DisposeAsync();
    }
}
