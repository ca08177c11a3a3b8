using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Api.Endpoints;

/// <summary>Customers (reference §2.8): attendant and up; merge is supervisor.</summary>
public static class CustomerEndpoints
{
    /// <summary>A create or update body. A field sent as null (or "") clears it on update; a field left out stays.</summary>
    public sealed class CustomerRequest : PatchBody
    {
        public string? Name { get; set; }
        public string? Email { get; set; }
        public string? Phone { get; set; }
        /// <summary>A CPF or CNPJ, with or without punctuation; stored formatted.</summary>
        public string? Document { get; set; }
        public string? Notes { get; set; }

        public Optional<string?> Sent(string field, string? value) =>
            value is not null || Clears(field) ? new Optional<string?>(true, string.IsNullOrWhiteSpace(value) ? null : value.Trim()) : default;
    }

    public sealed class MergeRequest
    {
        public Guid? PrimaryId { get; set; }
        public List<Guid>? DuplicateIds { get; set; }
    }

    public const int MaxDuplicates = 100;

    private static readonly Listing Sorting = new(
        new Dictionary<string, string>
        {
            ["name"] = "lower(cu.name)", ["email"] = "lower(cu.email)", ["inserted_at"] = "cu.inserted_at", ["updated_at"] = "cu.updated_at",
            ["call_count"] = "call_count", ["last_call_at"] = "last_call_at",
        },
        "name", DefaultDescending: false);

    public static void MapCustomerEndpoints(this IEndpointRouteBuilder app)
    {
        var customers = app.MapGroup("/api/v1/customers").WithTags("Customers").RequireAuthorization(Policies.Attendant);
        customers.MapGet("", List).WithSummary(
            "List customers; search matches name, e-mail or phone; sort_by name|email|inserted_at|updated_at|call_count|last_call_at (default name asc)");
        customers.MapPost("", Create).Accepts<CustomerRequest>("application/json")
            .WithSummary("Create a customer ({customer: {name, email?, phone?, document?, notes?}}); document must be a valid CPF or CNPJ " +
                         "(check digits), with or without punctuation, and is stored formatted (123.456.789-09, 12.345.678/0001-95)");
        customers.MapPost("/merge", Merge).Accepts<MergeRequest>("application/json").RequireAuthorization(Policies.Supervisor)
            .WithSummary($"Merge duplicates into one customer ({{primary_id, duplicate_ids: [up to {MaxDuplicates}]}}), in one transaction: their calls " +
                         "and access links are re-pointed to the primary, fields the primary lacks are taken from them (oldest first), and they are " +
                         "deleted. Answers the primary with its new call_count");
        customers.MapGet("/{id:guid}", Get);
        customers.MapPut("/{id:guid}", Update).Accepts<CustomerRequest>("application/json")
            .WithSummary("Update; fields left out stay, a field sent as null clears it (name cannot be cleared)");
        customers.MapDelete("/{id:guid}", Delete)
            .WithSummary("Delete; the customer's calls and links keep their own copy of the name and contact, and customer_id becomes null");
    }

    private static async Task<IResult> List(HttpContext http, CustomerStore customers)
    {
        var caller = http.Caller();
        var list = Sorting.Parse(http.Request.Query);
        return Envelope.List(await customers.ListAsync(caller.Tenant, http.Request.Query["search"].FirstOrDefault(), list));
    }

    private static async Task<IResult> Get(Guid id, HttpContext http, CustomerStore customers) =>
        Envelope.Ok((await customers.GetAsync(http.Caller().Tenant, id)).OrNotFound());

    private static async Task<IResult> Create(HttpContext http, CustomerStore customers)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<CustomerRequest>(http.Request, "customer");
        var document = Validate(body, creating: true);
        var customer = await customers.CreateAsync(caller.Tenant, new Customer
        {
            Name = body.Name!.Trim(),
            Email = body.Sent("email", body.Email).Value,
            Phone = body.Sent("phone", body.Phone).Value,
            Document = document.Value,
            Notes = body.Sent("notes", body.Notes).Value,
        });
        return Envelope.Created(customer);
    }

    private static async Task<IResult> Update(Guid id, HttpContext http, CustomerStore customers)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<CustomerRequest>(http.Request, "customer");
        var document = Validate(body, creating: false);
        var updated = await customers.UpdateAsync(caller.Tenant, id, new CustomerChanges
        {
            Name = body.Name?.Trim(),
            Email = body.Sent("email", body.Email),
            Phone = body.Sent("phone", body.Phone),
            Document = document,
            Notes = body.Sent("notes", body.Notes),
        });
        return Envelope.Ok(updated.OrNotFound());
    }

    private static async Task<IResult> Delete(Guid id, HttpContext http, CustomerStore customers, IGrainFactory grains, ILoggerFactory logs)
    {
        var caller = http.Caller();
        var relinked = await customers.DeleteAsync(caller.Tenant, id) ?? throw ApiException.NotFound();
        await Relink(caller, relinked, null, grains, logs.CreateLogger(typeof(CustomerEndpoints)));
        return Results.NoContent();
    }

    private static async Task<IResult> Merge(HttpContext http, CustomerStore customers, IGrainFactory grains, ILoggerFactory logs)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<MergeRequest>(http.Request, "merge");
        var v = new Validator().Required("primary_id", body.PrimaryId);
        if (body.DuplicateIds is not { Count: > 0 }) v.Add("duplicate_ids", "can't be blank");
        else if (body.DuplicateIds.Count > MaxDuplicates) v.Add("duplicate_ids", $"should have at most {MaxDuplicates} item(s)");
        else if (body.DuplicateIds.Contains(body.PrimaryId ?? Guid.Empty)) v.Add("duplicate_ids", "must not contain primary_id");
        v.ThrowIfInvalid();
        var (merged, relinked, missing) = await customers.MergeAsync(caller.Tenant, body.PrimaryId!.Value, [.. body.DuplicateIds!.Distinct()]);
        if (missing is not null) throw ValidationException.Single(missing, "does not exist");
        await Relink(caller, relinked!, merged!.Id, grains, logs.CreateLogger(typeof(CustomerEndpoints)));
        return Envelope.Ok(merged);
    }

    /// <summary>
    /// The links a merge or delete re-pointed in the database learn it in their grains too (a link's customer guides its
    /// next join). Calls need nothing: call objects take customer_id from the database. A link not reached now keeps
    /// the old id in its grain, which its next join no longer finds, and its row stays right.
    /// </summary>
    private static async Task Relink(Caller caller, Relinked relinked, Guid? customerId, IGrainFactory grains, ILogger logger)
    {
        foreach (var chunk in relinked.Links.Chunk(64))
        {
            try
            {
                await Task.WhenAll(chunk.Select(id => grains.GetGrain<IAccessLinkGrain>(caller.Key(id)).RelinkCustomer(customerId)));
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Access links of tenant {Tenant} were re-pointed to customer {Customer} in the database but not all their grains", caller.Tenant, customerId);
            }
        }
    }

    /// <summary>Validates the body; returns the document as it will be stored (formatted), when one was sent.</summary>
    private static Optional<string?> Validate(CustomerRequest body, bool creating)
    {
        var v = new Validator();
        if (creating) v.Required("name", body.Name);
        v.NotBlankIfPresent("name", body.Name).MaxLength("name", body.Name, 200)
            .MaxLength("email", body.Email, 254).Email("email", body.Email?.Trim())
            .Phone("phone", body.Phone?.Trim()).MaxLength("notes", body.Notes, 10_000);
        var document = body.Sent("document", body.Document);
        if (document.Value is { } text)
        {
            var formatted = text.Length <= 40 ? BrazilianDocument.Normalize(text) : null;
            if (formatted is null) v.Add("document", "is not a valid CPF or CNPJ");
            document = new Optional<string?>(true, formatted);
        }
        v.ThrowIfInvalid();
        return document;
    }
}
