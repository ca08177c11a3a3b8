using System.Security.Cryptography;
using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Api.Endpoints;

public static class AccessLinkEndpoints
{
    public sealed class AccessLinkRequest
    {
        public Guid? DepartmentId { get; set; }
        public string? CustomerName { get; set; }
        public string? CustomerEmail { get; set; }
        public string? CustomerPhone { get; set; }
        public DateTime? ExpiresAt { get; set; }
        public bool? SingleUse { get; set; }
        /// <summary>The customer the link is for (reference §2.8); a single-use link without one learns it from its join.</summary>
        public Guid? CustomerId { get; set; }
    }

    /// <summary>Either a list of links, or one template repeated <c>count</c> times.</summary>
    public sealed class BatchRequest
    {
        public List<AccessLinkRequest>? AccessLinks { get; set; }
        public Guid? DepartmentId { get; set; }
        public int? Count { get; set; }
        public DateTime? ExpiresAt { get; set; }
        public bool? SingleUse { get; set; }
    }

    public const int MaxBatch = 100;

    private static readonly Listing Sorting = new(
        new Dictionary<string, string> { ["inserted_at"] = "l.inserted_at", ["expires_at"] = "l.expires_at", ["used_at"] = "l.used_at", ["customer_name"] = "lower(l.customer_name)" },
        "inserted_at", DefaultDescending: true);

    public static void MapAccessLinkEndpoints(this IEndpointRouteBuilder app)
    {
        var links = app.MapGroup("/api/v1/access-links").WithTags("Access links").RequireAuthorization(Policies.Supervisor);
        links.MapGet("", List).WithSummary("List links; filters status (active|used|expired|cancelled), department_id");
        links.MapPost("", Create).Accepts<AccessLinkRequest>("application/json")
            .WithSummary("Create a link to a department's queue; single_use defaults to true; expires_at optional (ISO 8601); customer_id optional " +
                         "(one of the tenant's customers; a single-use link without one carries the customer its join matched or created)");
        links.MapPost("/batch", Batch).Accepts<BatchRequest>("application/json")
            .WithSummary($"Create up to {MaxBatch} links: {{access_links:[…]}} or {{department_id, count, expires_at?, single_use?}}");
        links.MapGet("/{id:guid}", Get);
        links.MapPost("/{id:guid}/cancel", Cancel).WithSummary("Cancel an active link; a call still queued from it is cancelled too");
    }

    private static async Task<IResult> List(HttpContext http, AccessLinkRows rows)
    {
        var caller = http.Caller();
        var v = new Validator();
        var status = QueryValues.OneOf(http.Request.Query, "status", AccessLinkStatus.All, v);
        var department = QueryValues.Guid(http.Request.Query, "department_id", v);
        v.ThrowIfInvalid();
        return Envelope.List(await rows.ListAsync(caller.Tenant, new AccessLinkFilter(status, department), Sorting.Parse(http.Request.Query), DateTime.UtcNow));
    }

    private static async Task<IResult> Get(Guid id, HttpContext http, IGrainFactory grains) =>
        Envelope.Ok((await grains.GetGrain<IAccessLinkGrain>(http.Caller().Key(id)).Get()).OrNotFound());

    private static async Task<IResult> Create(HttpContext http, IGrainFactory grains, IConfiguration configuration)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<AccessLinkRequest>(http.Request, "access_link");
        Validate(body, "");
        return Envelope.Created(await CreateOne(caller, body, grains, PublicUrls.Origin(http, configuration)));
    }

    private static async Task<IResult> Batch(HttpContext http, IGrainFactory grains, IConfiguration configuration)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<BatchRequest>(http.Request);
        var v = new Validator();
        if (body.AccessLinks is null) v.Required("count", body.Count).Range("count", body.Count, 1, MaxBatch);
        else if (body.AccessLinks.Count is 0 or > MaxBatch) v.Add("access_links", $"must contain between 1 and {MaxBatch} links");
        else if (body.AccessLinks.Any(link => link is null)) v.Add("access_links", "is invalid");
        v.ThrowIfInvalid();
        // Only a count in range is repeated: a negative one threw, int.MaxValue would have allocated gigabytes.
        var requests = body.AccessLinks ?? Enumerable.Repeat(new AccessLinkRequest
        {
            DepartmentId = body.DepartmentId, ExpiresAt = body.ExpiresAt, SingleUse = body.SingleUse,
        }, body.Count!.Value).ToList();
        for (var i = 0; i < requests.Count; i++) Validate(requests[i], body.AccessLinks is null ? "" : $"access_links[{i}].");

        var baseUrl = PublicUrls.Origin(http, configuration);
        var created = new List<AccessLink>();
        foreach (var request in requests) created.Add(await CreateOne(caller, request, grains, baseUrl));
        return Envelope.Created(created);
    }

    private static async Task<IResult> Cancel(Guid id, HttpContext http, IGrainFactory grains) =>
        Envelope.Ok(await grains.GetGrain<IAccessLinkGrain>(http.Caller().Key(id)).Cancel().Unwrap());

    private static async Task<AccessLink> CreateOne(Caller caller, AccessLinkRequest body, IGrainFactory grains, string baseUrl)
    {
        var token = NewToken();
        return await grains.GetGrain<IAccessLinkGrain>(caller.Key(Guid.NewGuid())).Create(new NewAccessLink
        {
            DepartmentId = body.DepartmentId!.Value,
            CustomerName = body.CustomerName,
            CustomerEmail = body.CustomerEmail,
            CustomerPhone = body.CustomerPhone,
            SingleUse = body.SingleUse ?? true,
            CustomerId = body.CustomerId,
            ExpiresAt = body.ExpiresAt is { } expiry ? Grains.Clock.Truncate(expiry) : null,
            Token = token,
            Url = $"{baseUrl}/call/{token}",
        }).Unwrap();
    }

    private static void Validate(AccessLinkRequest body, string prefix)
    {
        var v = new Validator().Required(prefix + "department_id", body.DepartmentId)
            .MaxLength(prefix + "customer_name", body.CustomerName, 200)
            .Email(prefix + "customer_email", body.CustomerEmail).Phone(prefix + "customer_phone", body.CustomerPhone);
        if (body.ExpiresAt is { } expiry && expiry <= DateTime.UtcNow) v.Add(prefix + "expires_at", "must be in the future");
        v.ThrowIfInvalid();
    }

    /// <summary>128 random bits, URL-safe: unguessable, so a link cannot be found by enumeration.</summary>
    private static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
