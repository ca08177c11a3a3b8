using System.Text.Json.Nodes;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Realtime;

/// <summary>A customer in a department's queue, as the widget join leaves them.</summary>
public sealed record QueuedCustomer(string CallId, string SocketToken, JsonNode Join);

public static class RealtimeScenario
{
    public static async Task<QueuedCustomer> Customer(this Scenario s, string departmentId, string name = "Carlos Ferreira")
    {
        var joined = await s.Join(departmentId, name);
        return new QueuedCustomer(joined["call_id"]!.GetValue<string>(), joined["websocket_token"]!.GetValue<string>(), joined);
    }
}
