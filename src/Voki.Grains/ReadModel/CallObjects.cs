using System.Text.Json;
using System.Text.Json.Nodes;
using Voki.Grains.Model;

namespace Voki.Grains.ReadModel;

/// <summary>
/// Call objects as the API shows them, in responses and in webhook payloads: the call (its grain's state, or its
/// read-model row in lists) plus what is kept beside it in the read model, its <c>tags</c> and <c>manager_notes</c>,
/// read for a whole page at once. Its <c>customer_id</c> is the read model's too: a customer merge or delete moves it
/// there, in one transaction, and no call grain is told.
/// </summary>
public sealed class CallObjects(TagRows tags, ManagerNoteRows notes, CustomerStore customers)
{
    public async Task<IReadOnlyList<JsonObject>> ManyAsync(string tenant, IReadOnlyList<Call> calls)
    {
        var ids = calls.Select(c => c.Id).ToList();
        var tagsOf = await tags.OfCallsAsync(tenant, ids);
        var notesOf = await notes.OfCallsAsync(tenant, ids);
        var customerOf = await customers.OfCallsAsync(tenant, ids);
        return calls.Select(call =>
        {
            var view = JsonSerializer.SerializeToNode(call, ApiJson.Options)!.AsObject();
            view["tags"] = JsonSerializer.SerializeToNode(tagsOf[call.Id], ApiJson.Options);
            view["manager_notes"] = JsonSerializer.SerializeToNode(notesOf[call.Id], ApiJson.Options);
            view["customer_id"] = customerOf.GetValueOrDefault(call.Id, call.CustomerId)?.ToString();
            return view;
        }).ToList();
    }
}
