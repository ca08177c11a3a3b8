using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Api.Endpoints;

/// <summary>Tags categorise calls and nest into a tree (reference §2.7): attendant and above; delete is supervisor.</summary>
public static class TagEndpoints
{
    public sealed class TagRequest : PatchBody
    {
        public string? Name { get; set; }
        public string? Color { get; set; }
        public Guid? ParentId { get; set; }
    }

    /// <summary>One tag of <c>GET /api/v1/tags/tree</c> with the tags under it.</summary>
    public sealed record TagTreeNode(Guid Id, string Name, string Color, Guid? ParentId, long UsageCount, DateTime InsertedAt, DateTime UpdatedAt,
        IReadOnlyList<TagTreeNode> Children);

    public sealed record TagTree(IReadOnlyList<TagTreeNode> Data);

    public static readonly Listing Sorting = new(
        new Dictionary<string, string>
        {
            ["name"] = "lower(t.name)", ["inserted_at"] = "t.inserted_at", ["updated_at"] = "t.updated_at", ["usage_count"] = "usage_count",
        },
        "name", DefaultDescending: false, DefaultPageSize: 50);

    public static void MapTagEndpoints(this IEndpointRouteBuilder app)
    {
        var tags = app.MapGroup("/api/v1/tags").WithTags("Tags").RequireAuthorization(Policies.Attendant);
        tags.MapGet("", List).WithSummary(
            "List tags with their usage_count (calls carrying them); page_size defaults to 50; filters search (name), parent_id; " +
            "sort_by name|inserted_at|updated_at|usage_count");
        // Before /{id}: "tree" is no id.
        tags.MapGet("/tree", Tree).Produces<TagTree>()
            .WithSummary("Every tag nested under its parent: {data: [{…tag, children: [...]}]}, each level by name; not paginated");
        tags.MapPost("", Create).Accepts<TagRequest>("application/json")
            .WithSummary("Create a tag ({name, color? (#rrggbb, default #6b7280), parent_id?}); sibling names are unique (422 has already been taken)");
        tags.MapGet("/{id:guid}", Get);
        tags.MapPut("/{id:guid}", Update).Accepts<TagRequest>("application/json")
            .WithSummary("Update name, color or parent_id (null makes the tag a root; 422 when the parent is the tag itself or below it); " +
                         "a field left out stays as it is");
        tags.MapDelete("/{id:guid}", Delete).RequireAuthorization(Policies.Supervisor)
            .WithSummary("Delete (supervisor): the tag leaves every call it was on; 422 naming them while it has child tags");
    }

    private static async Task<IResult> List(HttpContext http, TagRows rows)
    {
        var caller = http.Caller();
        var v = new Validator();
        var parent = QueryValues.Guid(http.Request.Query, "parent_id", v);
        v.ThrowIfInvalid();
        return Envelope.List(await rows.ListAsync(caller.Tenant, http.Request.Query["search"].FirstOrDefault(), parent, Sorting.Parse(http.Request.Query)));
    }

    private static async Task<IResult> Tree(HttpContext http, TagRows rows)
    {
        var all = await rows.AllAsync(http.Caller().Tenant);
        var children = all.ToLookup(t => t.ParentId);
        TagTreeNode Node(Tag t) => new(t.Id, t.Name, t.Color, t.ParentId, t.UsageCount, t.InsertedAt, t.UpdatedAt, children[t.Id].Select(Node).ToList());
        return Results.Json(new TagTree(children[null].Select(Node).ToList()));
    }

    private static async Task<IResult> Get(Guid id, HttpContext http, IGrainFactory grains) =>
        Envelope.Ok((await Grain(http.Caller(), id, grains).Get()).OrNotFound());

    private static async Task<IResult> Create(HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<TagRequest>(http.Request, "tag");
        Validate(body, creating: true);
        var tag = await Grain(caller, Guid.NewGuid(), grains).Create(new Tag
        {
            Name = body.Name!.Trim(), Color = body.Color ?? Tag.DefaultColor, ParentId = body.ParentId,
        }).Unwrap();
        return Envelope.Created(tag);
    }

    private static async Task<IResult> Update(Guid id, HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<TagRequest>(http.Request, "tag");
        Validate(body, creating: false);
        var tag = await Grain(caller, id, grains).Update(new TagChanges
        {
            Name = body.Name?.Trim(), Color = body.Color, ParentId = body.ParentId, ClearParent = body.Clears("parent_id"),
        }).Unwrap();
        return Envelope.Ok(tag);
    }

    private static async Task<IResult> Delete(Guid id, HttpContext http, IGrainFactory grains)
    {
        await Grain(http.Caller(), id, grains).Delete().Unwrap();
        return Results.NoContent();
    }

    private static void Validate(TagRequest body, bool creating)
    {
        var v = new Validator();
        if (creating) v.Required("name", body.Name);
        foreach (var required in new[] { "name", "color" })
            if (body.Clears(required)) v.Add(required, "can't be blank");
        v.NotBlankIfPresent("name", body.Name).MaxLength("name", body.Name, 100).Color("color", body.Color).ThrowIfInvalid();
    }

    private static ITagGrain Grain(Caller caller, Guid id, IGrainFactory grains) => grains.GetGrain<ITagGrain>(caller.Key(id));
}
