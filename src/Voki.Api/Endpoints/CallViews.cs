using System.Text.Json;
using System.Text.Json.Nodes;
using Voki.Api.Infrastructure;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Api.Endpoints;

/// <summary>
/// Call objects as the API shows them: the call (its grain's state, or its read-model row in lists) plus what is kept
/// beside it in the read model, its <c>tags</c> and <c>manager_notes</c>, read for a whole page at once.
/// </summary>
public sealed class CallViews(TagRows tags, ManagerNoteRows notes)
{
    public async Task<JsonObject> OneAsync(string tenant, Call call) => (await ManyAsync(tenant, [call]))[0];

    public async Task<Page<JsonObject>> PageAsync(string tenant, Page<Call> page) =>
        new(await ManyAsync(tenant, page.Items), page.CurrentPage, page.PageSize, page.TotalCount);

    private async Task<IReadOnlyList<JsonObject>> ManyAsync(string tenant, IReadOnlyList<Call> calls)
    {
        var ids = calls.Select(c => c.Id).ToList();
        var tagsOf = await tags.OfCallsAsync(tenant, ids);
        var notesOf = await notes.OfCallsAsync(tenant, ids);
        return calls.Select(call =>
        {
            var view = JsonSerializer.SerializeToNode(call, Json.Options)!.AsObject();
            view["tags"] = JsonSerializer.SerializeToNode(tagsOf[call.Id], Json.Options);
            view["manager_notes"] = JsonSerializer.SerializeToNode(notesOf[call.Id], Json.Options);
            return view;
        }).ToList();
    }
}
