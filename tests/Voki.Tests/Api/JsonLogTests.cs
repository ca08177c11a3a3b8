using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Voki.Tests.Cluster;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>
/// Logging:Format=json: a node (its own process, as it runs in production) writes one JSON object a line, and the
/// lines about a request carry its trace id, those about a call the call's id, also from inside the call's grain.
/// </summary>
public sealed class JsonLogTests
{
    [Fact]
    public async Task A_node_logging_json_writes_one_object_a_line_with_the_requests_trace_id_and_the_call_id()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var node = NodeProcess.Start(database.ConnectionString, database.Name, new Dictionary<string, string>
        {
            ["Logging:Format"] = "json",
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
            // The second refused read of a call's recording in a minute is logged rather than audited: a line of the request itself.
            ["RateLimits:AuditedRefusalsPerMinute"] = "1",
        });
        await node.WaitReadyAsync(TimeSpan.FromSeconds(90));
        using var http = new HttpClient { BaseAddress = node.BaseAddress };
        var s = await Scenario.SignUp(http, plan: "free");
        var callId = (await s.Join(await s.Department()))["call_id"]!.GetValue<string>();

        // The caller's trace context (W3C traceparent) is the request's: its trace id is what the lines must carry.
        var traceId = ActivityTraceId.CreateRandom().ToString();
        using var start = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/calls/{callId}/start");
        start.Headers.Authorization = new AuthenticationHeaderValue("Bearer", s.Owner.Token);
        start.Headers.Add("X-Tenant", s.Tenant);
        start.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(start)).StatusCode);

        List<JsonObject> lines = [];
        await Eventually.Holds(() =>
        {
            lines = Lines(node.Log);
            return lines.Any(l => Scope(l, "CallId") == callId && l["Message"]!.GetValue<string>().Contains("queued -> active"));
        }, TimeSpan.FromSeconds(20), "the call's start in the log");

        Assert.True(lines.Count > 10, $"only {lines.Count} lines");
        foreach (var line in lines)
            foreach (var field in new[] { "Timestamp", "LogLevel", "Category", "Message" })
                Assert.True(line[field] is not null, $"no {field} in {line.ToJsonString()}");

        // The grain's line: the call, its tenant, and the trace id of the request that started it.
        var started = lines.Single(l => Scope(l, "CallId") == callId && l["Message"]!.GetValue<string>().Contains("queued -> active"));
        Assert.Equal("Voki.Grains.Grains.CallGrain", started["Category"]!.GetValue<string>());
        Assert.Equal(s.Tenant, Scope(started, "Tenant"));
        Assert.Equal(traceId, Scope(started, "TraceId"));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", started["Timestamp"]!.GetValue<string>());

        // The request's own lines (ASP.NET Core's) carry the same trace id, the path, and the call id.
        var request = lines.Where(l => Scope(l, "TraceId") == traceId && l["Category"]!.GetValue<string>() == "Microsoft.AspNetCore.Hosting.Diagnostics").ToList();
        Assert.NotEmpty(request);
        Assert.All(request, l => Assert.Equal($"/api/v1/calls/{callId}/start", Scope(l, "RequestPath")));

        // A line written while the request is handled names the call of its route, with the request's trace id.
        var refusedTrace = ActivityTraceId.CreateRandom().ToString();
        for (var i = 0; i < 2; i++)
        {
            using var refused = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/calls/{callId}/recording");
            refused.Headers.Add("traceparent", $"00-{(i == 1 ? refusedTrace : ActivityTraceId.CreateRandom().ToString())}-{ActivitySpanId.CreateRandom()}-01");
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(refused)).StatusCode);
        }
        JsonObject? notAudited = null;
        await Eventually.Holds(() =>
        {
            notAudited = Lines(node.Log).FirstOrDefault(l => Scope(l, "TraceId") == refusedTrace && l["Message"]!.GetValue<string>().StartsWith("Not auditing"));
            return notAudited is not null;
        }, TimeSpan.FromSeconds(20), "the refusal that was only logged");
        Assert.Equal(callId, Scope(notAudited!, "CallId"));
        Assert.Equal($"/api/v1/calls/{callId}/recording", Scope(notAudited!, "RequestPath"));
    }

    /// <summary>Every line of the node's output, each of which must be a JSON object.</summary>
    private static List<JsonObject> Lines(string log) =>
        log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line =>
        {
            try
            {
                return JsonNode.Parse(line)!.AsObject();
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
            {
                throw new Xunit.Sdk.XunitException($"not a JSON object: {line}");
            }
        }).ToList();

    /// <summary>A value from the line's scopes (ASP.NET Core's, the activity's, ours), as text.</summary>
    private static string? Scope(JsonObject line, string name) =>
        line["Scopes"]?.AsArray().OfType<JsonObject>().Select(scope => scope[name]).FirstOrDefault(v => v is not null)?.ToString();
}
