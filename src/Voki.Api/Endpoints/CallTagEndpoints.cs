using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.ReadModel;

namespace Voki.Api.Endpoints;

/// <summary>The tags on a call (reference §2.1): whoever may see the call, from attendant up.</summary>
public static class CallTagEndpoints
{
    public sealed class CallTagRequest { public Guid? TagId { get; set; } }

    public static void MapCallTagEndpoints(this IEndpointRouteBuilder app)
    {
        var tags = app.MapGroup("/api/v1/calls/{id:guid}/tags").WithTags("Calls").RequireAuthorization(Policies.Attendant);
        tags.MapGet("", List).WithSummary("The call's tags (tag objects with usage_count), paginated and sorted like GET /api/v1/tags");
        tags.MapPost("", Add).Accepts<CallTagRequest>("application/json")
            .WithSummary("Tag the call ({tag_id}) → 201 with the tag, or 200 when the call already carried it; 422 on tag_id for a tag that does not exist");
        tags.MapDelete("/{tagId:guid}", Remove).WithSummary("Take the tag off the call; 404 when the call does not carry it");
    }

    private static async Task<IResult> List(Guid id, HttpContext http, IGrainFactory grains, DepartmentRows departments, TagRows rows)
    {
        var caller = http.Caller();
        await CallEndpoints.Visible(caller, id, grains, departments);
        return Envelope.List(await rows.OfCallAsync(caller.Tenant, id, TagEndpoints.Sorting.Parse(http.Request.Query)));
    }

    private static async Task<IResult> Add(Guid id, HttpContext http, IGrainFactory grains, DepartmentRows departments, TagRows rows)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<CallTagRequest>(http.Request, "call_tag");
        new Validator().Required("tag_id", body.TagId).ThrowIfInvalid();
        await CallEndpoints.Visible(caller, id, grains, departments);
        var added = await rows.TagCallAsync(caller.Tenant, id, body.TagId!.Value, caller.UserId)
            ?? throw ValidationException.Single("tag_id", "does not exist");
        // Deleted between the insert and this read: the cascade took it off the call again.
        var tag = await grains.GetGrain<ITagGrain>(caller.Key(body.TagId.Value)).Get() ?? throw ValidationException.Single("tag_id", "does not exist");
        return added ? Envelope.Created(tag) : Envelope.Ok(tag);
    }

    private static async Task<IResult> Remove(Guid id, Guid tagId, HttpContext http, IGrainFactory grains, DepartmentRows departments, TagRows rows)
    {
        var caller = http.Caller();
        await CallEndpoints.Visible(caller, id, grains, departments);
        if (!await rows.UntagCallAsync(caller.Tenant, id, tagId)) throw ApiException.NotFound();
        return Results.NoContent();
    }
}
