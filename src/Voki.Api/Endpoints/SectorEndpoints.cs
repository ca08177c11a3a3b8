using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Api.Endpoints;

/// <summary>Sectors group departments (reference §2.6): supervisor and above.</summary>
public static class SectorEndpoints
{
    public sealed class SectorRequest : PatchBody
    {
        public string? Name { get; set; }
        public string? Description { get; set; }
        public bool? Active { get; set; }
    }

    private static readonly Listing Sorting = new(
        new Dictionary<string, string> { ["name"] = "lower(s.name)", ["inserted_at"] = "s.inserted_at", ["updated_at"] = "s.updated_at" },
        "name", DefaultDescending: false);

    public static void MapSectorEndpoints(this IEndpointRouteBuilder app)
    {
        var sectors = app.MapGroup("/api/v1/sectors").WithTags("Sectors").RequireAuthorization(Policies.Supervisor);
        sectors.MapGet("", List).WithSummary("List sectors with their department_count; filters active, search (name); sort_by name|inserted_at|updated_at");
        sectors.MapPost("", Create).Accepts<SectorRequest>("application/json")
            .WithSummary("Create a sector ({\"sector\": {name, description?, active?}}); names are unique in the tenant (422 has already been taken)");
        sectors.MapGet("/{id:guid}", Get);
        sectors.MapPut("/{id:guid}", Update).Accepts<SectorRequest>("application/json")
            .WithSummary("Update name, description (null clears it) or active; a field left out stays as it is");
        sectors.MapDelete("/{id:guid}", Delete)
            .WithSummary("Delete; 422 {\"errors\":{\"detail\":\"Sector has departments and cannot be deleted; move or delete them first: <names>\"}} " +
                         "while departments are in it (clear their sector_id first)");
    }

    private static async Task<IResult> List(HttpContext http, SectorRows rows)
    {
        var caller = http.Caller();
        var v = new Validator();
        var active = QueryValues.Bool(http.Request.Query, "active", v);
        v.ThrowIfInvalid();
        return Envelope.List(await rows.ListAsync(caller.Tenant, active, http.Request.Query["search"].FirstOrDefault(), Sorting.Parse(http.Request.Query)));
    }

    private static async Task<IResult> Get(Guid id, HttpContext http, IGrainFactory grains) =>
        Envelope.Ok((await Grain(http.Caller(), id, grains).Get()).OrNotFound());

    private static async Task<IResult> Create(HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<SectorRequest>(http.Request, "sector");
        Validate(body, creating: true);
        var sector = await Grain(caller, Guid.NewGuid(), grains).Create(new Sector
        {
            Name = body.Name!.Trim(), Description = body.Description, Active = body.Active ?? true,
        }).Unwrap();
        return Envelope.Created(sector);
    }

    private static async Task<IResult> Update(Guid id, HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<SectorRequest>(http.Request, "sector");
        Validate(body, creating: false);
        var sector = await Grain(caller, id, grains).Update(new SectorChanges
        {
            Name = body.Name?.Trim(), Description = body.Description, ClearDescription = body.Clears("description"), Active = body.Active,
        }).Unwrap();
        return Envelope.Ok(sector);
    }

    private static async Task<IResult> Delete(Guid id, HttpContext http, IGrainFactory grains)
    {
        await Grain(http.Caller(), id, grains).Delete().Unwrap();
        return Results.NoContent();
    }

    private static void Validate(SectorRequest body, bool creating)
    {
        var v = new Validator();
        if (creating) v.Required("name", body.Name);
        foreach (var required in new[] { "name", "active" })
            if (body.Clears(required)) v.Add(required, "can't be blank");
        v.NotBlankIfPresent("name", body.Name).MaxLength("name", body.Name, 200).MaxLength("description", body.Description, 2000).ThrowIfInvalid();
    }

    private static ISectorGrain Grain(Caller caller, Guid id, IGrainFactory grains) => grains.GetGrain<ISectorGrain>(caller.Key(id));
}
