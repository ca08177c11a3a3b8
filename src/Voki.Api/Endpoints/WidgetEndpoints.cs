using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Api.Endpoints;

/// <summary>The public customer entry flow (reference §2.11): no JWT, 30 requests/min per IP.</summary>
public static class WidgetEndpoints
{
    public sealed class JoinRequest { public string? Name { get; set; } public string? Email { get; set; } public string? Phone { get; set; } public string? Reason { get; set; } }
    public sealed class EvaluateRequest { public int? Rating { get; set; } public string? Comment { get; set; } public string? RatingComment { get; set; } }

    /// <summary>The wait assumed per customer until the department has answered calls to average.</summary>
    public const double DefaultWaitSeconds = 180;

    /// <summary>How many of the department's latest answered calls the recent average wait is taken over.</summary>
    public const int RecentCalls = 20;

    public const string EstimateRule =
        "online_agents: the distinct staff members connected to the department's presence:{department_id} topic now (on any node). " +
        "estimated_wait_time = ceil(W × p / max(1, online_agents)) seconds, where W is the average wait (joining to being started) " +
        "of the department's last 20 answered calls (180 s before there is one) and p the customer's place in the queue " +
        "(position; for validate, queue_size + 1, where a customer joining now would be); with nobody online it is W × p and online_agents is 0";

    public static void MapWidgetEndpoints(this IEndpointRouteBuilder app)
    {
        // Public as the docs say; leave and evaluate require the customer's websocket_token (CustomerGrant), status
        // names the attendant only to it.
        var widget = app.MapGroup("/api/v1/call").WithTags("Widget (public)").AllowAnonymous().RequireRateLimiting(RateLimits.PublicPolicy);
        widget.MapGet("/{token}/validate", Validate)
            .WithSummary("Check an access link; 404 {\"errors\":{\"detail\":\"Invalid or expired access link\"}} when it cannot be used")
            .WithDescription(EstimateRule);
        widget.MapPost("/{token}/join", Join).Accepts<JoinRequest>("application/json")
            .WithSummary("Join the department's queue (flat body: name, email?, phone?, reason?); creates a queued call. The link is checked first: " +
                         "an invalid or expired one answers 404 {\"errors\":{\"detail\":\"Invalid or expired access link\"}} whatever the body, then 422 for the body")
            .WithDescription(EstimateRule);
        widget.MapGet("/status/{callId:guid}", Status).RequireRateLimiting(RateLimits.StatusPolicy)
            .WithSummary("Poll a call's status and queue position; user_name (the attendant) only with Authorization: Bearer <websocket_token from join>, else null")
            .WithDescription(EstimateRule);
        widget.MapPost("/evaluate/{callId:guid}", Evaluate).Accepts<EvaluateRequest>("application/json")
            .WithSummary("Rate a completed call once: rating 1–5, comment (or rating_comment) optional → {call_id, rating, rating_comment}, " +
                         "named as on the call object. Authorization: Bearer <websocket_token from join> (401 without it)");
        widget.MapPost("/leave/{callId:guid}", Leave)
            .WithSummary("The customer leaves the queue (call → missed). Authorization: Bearer <websocket_token from join>");
    }

    private static async Task<IResult> Validate(string token, IGrainFactory grains, AccessLinkRows links, CallRows calls)
    {
        var (tenant, link, department) = await UsableLink(token, grains, links);
        var company = await grains.GetGrain<ICompanyGrain>(TenantKey.ForCompany(tenant)).Get();
        var queueSize = await calls.QueueSizeAsync(tenant, department.Id);
        var agents = await OnlineAgents(grains, tenant, department.Id);
        return Envelope.Ok(new
        {
            valid = true,
            department_name = department.Name,
            company_name = company?.Name,
            company_logo_url = company?.LogoUrl,
            primary_color = company?.PrimaryColor,
            queue_size = queueSize,
            estimated_wait_time = await Estimate(tenant, department.Id, queueSize + 1, agents, calls),
            online_agents = agents,
            customer_name = link.CustomerName,
            customer_email = link.CustomerEmail,
            customer_phone = link.CustomerPhone,
        });
    }

    private static async Task<IResult> Join(string token, HttpContext http, IGrainFactory grains, AccessLinkRows links, CallRows calls,
        TokenService tokens, IConfiguration configuration)
    {
        // The link first: a dead link answers the documented 404 whatever the body holds.
        var (tenant, link, _) = await UsableLink(token, grains, links);
        var body = await RequestBody.ReadAsync<JoinRequest>(http.Request);
        new Validator().Required("name", body.Name).MaxLength("name", body.Name, 200).Email("email", body.Email)
            .Phone("phone", body.Phone).MaxLength("reason", body.Reason, 1000).ThrowIfInvalid();
        var call = await grains.GetGrain<IAccessLinkGrain>(TenantKey.For(tenant, link.Id)).Join(new CustomerDetails
        {
            Name = body.Name!.Trim(), Email = body.Email, Phone = body.Phone, Reason = body.Reason,
        }).Unwrap();
        var position = await calls.QueuePositionAsync(tenant, call.DepartmentId, call.Id);
        var agents = await OnlineAgents(grains, tenant, call.DepartmentId);
        return Envelope.Ok(new
        {
            call_id = call.Id,
            status = call.Status,
            position,
            estimated_wait_time = await Estimate(tenant, call.DepartmentId, position, agents, calls),
            websocket_token = tokens.IssueCustomerToken(tenant, call.Id),
            websocket_url = PublicUrls.WebSocket(http, configuration),
            protocol = call.Protocol,
        });
    }

    private static async Task<IResult> Status(Guid callId, HttpRequest request, IGrainFactory grains, CallRows calls, TokenService tokens)
    {
        var (tenant, call) = await FindCall(callId, grains, calls);
        var isTheCustomer = await CustomerGrant.FromRequest(request, tokens) is { } grant && grant.CallId == callId && grant.Tenant == tenant;
        int? position = null, estimate = null;
        if (call.Status == CallStatus.Queued)
        {
            position = await calls.QueuePositionAsync(tenant, call.DepartmentId, call.Id);
            estimate = await Estimate(tenant, call.DepartmentId, position.Value, await OnlineAgents(grains, tenant, call.DepartmentId), calls);
        }
        return Envelope.Ok(new
        {
            call_id = call.Id,
            status = call.Status,
            position,
            estimated_wait_time = estimate,
            user_name = isTheCustomer ? call.UserName : null,
            department_name = call.DepartmentName,
        });
    }

    private static async Task<IResult> Evaluate(Guid callId, HttpRequest request, IGrainFactory grains, TokenService tokens)
    {
        var customer = await CustomerGrant.RequireFor(callId, request, tokens);
        var body = await RequestBody.ReadAsync<EvaluateRequest>(request, "evaluation");
        var (field, comment) = body.Comment is null && body.RatingComment is not null ? ("rating_comment", body.RatingComment) : ("comment", body.Comment);
        new Validator().Required("rating", body.Rating).Range("rating", body.Rating, 1, 5).MaxLength(field, comment, 2000).ThrowIfInvalid();
        var call = await grains.GetGrain<ICallGrain>(TenantKey.For(customer.Tenant, callId)).Evaluate(body.Rating!.Value, comment).Unwrap();
        // Named as on the call object, which the staff read it from.
        return Envelope.Ok(new { call_id = call.Id, rating = call.Rating, rating_comment = call.RatingComment });
    }

    private static async Task<IResult> Leave(Guid callId, HttpRequest request, IGrainFactory grains, TokenService tokens)
    {
        var customer = await CustomerGrant.RequireFor(callId, request, tokens);
        var call = await grains.GetGrain<ICallGrain>(TenantKey.For(customer.Tenant, callId)).EndWhileQueued(CallStatus.Missed).Unwrap();
        return Envelope.Ok(new { call_id = call.Id, status = call.Status });
    }

    private static async Task<(string Tenant, AccessLink Link, Department Department)> UsableLink(string token, IGrainFactory grains, AccessLinkRows links)
    {
        var invalid = ApiException.NotFound(AccessLinkGrain.InvalidLinkDetail);
        var found = token.Length is > 0 and <= 64 ? await links.FindByTokenAsync(token) : null;
        if (found is not { } key) throw invalid;
        var link = await grains.GetGrain<IAccessLinkGrain>(TenantKey.For(key.Tenant, key.Id)).Get();
        if (link is null || link.Status != AccessLinkStatus.Active) throw invalid;
        var department = await grains.GetGrain<IDepartmentGrain>(TenantKey.For(key.Tenant, link.DepartmentId)).Get();
        if (department is not { Active: true }) throw invalid;
        return (key.Tenant, link, department);
    }

    private static async Task<(string Tenant, Call Call)> FindCall(Guid callId, IGrainFactory grains, CallRows calls)
    {
        var tenant = await calls.FindTenantAsync(callId) ?? throw ApiException.NotFound("Call not found");
        var call = await grains.GetGrain<ICallGrain>(TenantKey.For(tenant, callId)).Get() ?? throw ApiException.NotFound("Call not found");
        return (tenant, call);
    }

    /// <summary>Staff members on the department's presence topic: each user once, however many sockets they have open.</summary>
    private static async Task<int> OnlineAgents(IGrainFactory grains, string tenant, Guid departmentId) =>
        (await grains.GetGrain<IPresenceGrain>(TenantKey.For(tenant, departmentId)).List()).Select(e => e.Key).Distinct().Count();

    /// <summary>Seconds until a customer at <paramref name="position"/> is served (<see cref="EstimateRule"/>).</summary>
    private static async Task<int> Estimate(string tenant, Guid departmentId, int position, int agents, CallRows calls)
    {
        var wait = await calls.RecentAverageWaitSecondsAsync(tenant, departmentId, RecentCalls) ?? DefaultWaitSeconds;
        return (int)Math.Ceiling(wait * position / Math.Max(1, agents));
    }
}
