using System.Text.Json.Nodes;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Api.Endpoints;

/// <summary>Call objects as the API shows them (<see cref="CallObjects"/>), one or a page.</summary>
public sealed class CallViews(CallObjects objects)
{
    public async Task<JsonObject> OneAsync(string tenant, Call call) => (await objects.ManyAsync(tenant, [call]))[0];

    public async Task<Page<JsonObject>> PageAsync(string tenant, Page<Call> page) =>
        new(await objects.ManyAsync(tenant, page.Items), page.CurrentPage, page.PageSize, page.TotalCount);
}
