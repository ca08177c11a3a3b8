using System.Text.RegularExpressions;
using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Api.Endpoints;

public static partial class DepartmentEndpoints
{
    public sealed class DepartmentRequest : PatchBody
    {
        public string? Name { get; set; }
        public string? Identifier { get; set; }
        public string? Description { get; set; }
        public bool? Active { get; set; }
        public Guid? SectorId { get; set; }
        public int? MaxQueueSize { get; set; }
        public int? MaxWaitTime { get; set; }
    }

    public sealed class MemberRequest { public Guid? UserId { get; set; } }

    private static readonly Listing Sorting = new(
        new Dictionary<string, string> { ["name"] = "lower(d.name)", ["identifier"] = "d.identifier", ["inserted_at"] = "d.inserted_at", ["updated_at"] = "d.updated_at" },
        "name", DefaultDescending: false);

    private static readonly Listing MemberSorting = new(
        new Dictionary<string, string> { ["name"] = "lower(u.name)", ["email"] = "lower(u.email)", ["role"] = "u.role", ["inserted_at"] = "u.inserted_at" },
        "name", DefaultDescending: false);

    public static void MapDepartmentEndpoints(this IEndpointRouteBuilder app)
    {
        var departments = app.MapGroup("/api/v1/departments").WithTags("Departments").RequireAuthorization(Policies.Supervisor);
        departments.MapGet("", List).WithSummary("List departments; filter active; sort_by name|identifier|inserted_at|updated_at");
        departments.MapPost("", Create).Accepts<DepartmentRequest>("application/json")
            .WithSummary("Create a department; without an identifier one is derived from the name (\"suporte-tecnico\", then \"suporte-tecnico-2\"…); " +
                         "sector_id must name one of the tenant's sectors (else 422); counts against the plan's departments");
        departments.MapGet("/{id:guid}", Get);
        departments.MapPut("/{id:guid}", Update).Accepts<DepartmentRequest>("application/json")
            .WithSummary("Update; active=false deactivates the department (its links stop admitting customers); null clears description, sector_id, " +
                         "max_queue_size and max_wait_time, a field left out stays as it is");
        departments.MapDelete("/{id:guid}", Delete)
            .WithSummary("Delete; 409 while any call of the department has a recording (deactivate it instead)");
        departments.MapGet("/{id:guid}/users", Members);
        departments.MapPost("/{id:guid}/users", AddMember).Accepts<MemberRequest>("application/json")
            .WithSummary("Add a user to the department ({user_id})");
        departments.MapDelete("/{id:guid}/users/{userId:guid}", RemoveMember);
    }

    private static async Task<IResult> List(HttpContext http, DepartmentRows rows)
    {
        var caller = http.Caller();
        var v = new Validator();
        var active = QueryValues.Bool(http.Request.Query, "active", v);
        v.ThrowIfInvalid();
        return Envelope.List(await rows.ListAsync(caller.Tenant, active, Sorting.Parse(http.Request.Query)));
    }

    private static async Task<IResult> Get(Guid id, HttpContext http, IGrainFactory grains) =>
        Envelope.Ok(await Find(http.Caller(), id, grains));

    private static async Task<IResult> Create(HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<DepartmentRequest>(http.Request, "department");
        Validate(body, creating: true);
        var department = await grains.GetGrain<IDepartmentGrain>(caller.Key(Guid.NewGuid())).Create(new Department
        {
            Name = body.Name!.Trim(),
            Identifier = body.Identifier ?? "",
            Description = body.Description,
            Active = body.Active ?? true,
            SectorId = body.SectorId,
            MaxQueueSize = body.MaxQueueSize,
            MaxWaitTime = body.MaxWaitTime,
        }).Unwrap();
        return Envelope.Created(department);
    }

    private static async Task<IResult> Update(Guid id, HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<DepartmentRequest>(http.Request, "department");
        Validate(body, creating: false);
        var department = await grains.GetGrain<IDepartmentGrain>(caller.Key(id)).Update(new DepartmentChanges
        {
            Name = body.Name?.Trim(), Identifier = body.Identifier, Description = body.Description, Active = body.Active,
            SectorId = body.SectorId, MaxQueueSize = body.MaxQueueSize, MaxWaitTime = body.MaxWaitTime,
            ClearDescription = body.Clears("description"), ClearSectorId = body.Clears("sector_id"),
            ClearMaxQueueSize = body.Clears("max_queue_size"), ClearMaxWaitTime = body.Clears("max_wait_time"),
        }).Unwrap();
        return Envelope.Ok(department);
    }

    private static async Task<IResult> Delete(Guid id, HttpContext http, IGrainFactory grains)
    {
        await grains.GetGrain<IDepartmentGrain>(http.Caller().Key(id)).Delete().Unwrap();
        return Results.NoContent();
    }

    private static async Task<IResult> Members(Guid id, HttpContext http, IGrainFactory grains, UserRows users)
    {
        var caller = http.Caller();
        await Find(caller, id, grains);
        return Envelope.List(await users.ListMembersAsync(caller.Tenant, id, MemberSorting.Parse(http.Request.Query)));
    }

    private static async Task<IResult> AddMember(Guid id, HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<MemberRequest>(http.Request, "department_user");
        new Validator().Required("user_id", body.UserId).ThrowIfInvalid();
        await Find(caller, id, grains);
        var user = await grains.GetGrain<IUserGrain>(caller.Key(body.UserId!.Value)).Get()
            ?? throw ValidationException.Single("user_id", "does not exist");
        await grains.GetGrain<IDepartmentGrain>(caller.Key(id)).SetMember(user.Id, member: true).Unwrap();
        return Envelope.Created(user);
    }

    private static async Task<IResult> RemoveMember(Guid id, Guid userId, HttpContext http, IGrainFactory grains, DepartmentRows rows)
    {
        var caller = http.Caller();
        await Find(caller, id, grains);
        if (!(await rows.DepartmentsOfAsync(caller.Tenant, userId)).Contains(id)) throw ApiException.NotFound();
        await grains.GetGrain<IDepartmentGrain>(caller.Key(id)).SetMember(userId, member: false).Unwrap();
        return Results.NoContent();
    }

    private static async Task<Department> Find(Caller caller, Guid id, IGrainFactory grains) =>
        (await grains.GetGrain<IDepartmentGrain>(caller.Key(id)).Get()).OrNotFound();

    private static void Validate(DepartmentRequest body, bool creating)
    {
        var v = new Validator();
        if (creating) v.Required("name", body.Name);
        foreach (var required in new[] { "name", "identifier", "active" })
            if (body.Clears(required)) v.Add(required, "can't be blank");
        v.NotBlankIfPresent("name", body.Name).MaxLength("name", body.Name, 200)
            .Matches("identifier", body.Identifier, IdentifierPattern()).MaxLength("description", body.Description, 2000)
            .Range("max_queue_size", body.MaxQueueSize, 1, 10_000).Range("max_wait_time", body.MaxWaitTime, 0, 86_400)
            .ThrowIfInvalid();
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")] private static partial Regex IdentifierPattern();
}
