using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Api.Webhooks;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.Webhooks;

namespace Voki.Api.Endpoints;

/// <summary>
/// Outgoing webhooks (reference §2.15, decisions.md "Webhooks"): manager and above; creating, changing and testing one
/// need a plan with webhooks (advanced and up), listing, reading and deleting do not, so a downgraded tenant can clean up.
/// </summary>
public static class WebhookEndpoints
{
    public sealed class WebhookRequest
    {
        public string? Url { get; set; }
        public string[]? Events { get; set; }
        public string? Secret { get; set; }
        public string? Description { get; set; }
        public bool? Active { get; set; }
    }

    public const string NotFoundDetail = "Webhook not found";

    private static readonly Listing Sorting = new(
        new Dictionary<string, string> { ["inserted_at"] = "inserted_at", ["updated_at"] = "updated_at", ["url"] = "url" },
        "inserted_at", DefaultDescending: false);

    private static readonly Listing DeliverySorting = new(
        new Dictionary<string, string> { ["inserted_at"] = "inserted_at", ["updated_at"] = "updated_at" }, "inserted_at", DefaultDescending: true);

    public static void MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        var webhooks = app.MapGroup("/api/v1/webhooks").WithTags("Webhooks").RequireAuthorization(Policies.Manager);
        webhooks.MapGet("", List).WithSummary("List the company's webhooks (without their secrets); sort_by inserted_at|updated_at|url");
        webhooks.MapPost("", Create).Accepts<WebhookRequest>("application/json").WithSummary(
            "Create a webhook {url, events: [...], secret?, description?, active?}: events among " + string.Join(", ", WebhookEvents.All) +
            ". Without a secret one is generated; the answer shows the secret, the only time it is shown. " +
            "422 on a plan without webhooks (advanced and up have them), for a URL on a loopback, private or other non-public address, " +
            "and past the tenant's webhook limit");
        webhooks.MapGet("/{id:guid}", Get);
        webhooks.MapPut("/{id:guid}", Update).Accepts<WebhookRequest>("application/json")
            .WithSummary("Change url, events, description, active, or secret (a new secret given here replaces the old one at once)");
        webhooks.MapDelete("/{id:guid}", Delete).WithSummary("Delete the webhook and its delivery log; its pending deliveries are dropped");
        webhooks.MapPost("/{id:guid}/test", Test).WithSummary(
            "Queue a webhook.test event for this webhook (whatever it subscribes to; also while inactive it waits until reactivated): " +
            "202 with the delivery, whose progress the delivery log shows");
        webhooks.MapGet("/{id:guid}/deliveries", Deliveries).WithSummary(
            "The webhook's delivery log, newest first: {id, webhook_id, event_id, event, status (pending|delivered|failed), attempt_count, " +
            "last_status_code, last_error, next_attempt_at (while pending), delivered_at, attempts: [{at, status_code, error, duration_ms}] " +
            $"(the last {WebhookRows.KeptAttempts}), inserted_at, updated_at}}; filters status, event_id");
    }

    /// <summary>The webhook as the API shows it; the secret only when it was just generated or set.</summary>
    private static object View(Webhook w, bool withSecret = false) => withSecret
        ? new { id = w.Id, url = w.Url, events = w.Events, description = w.Description, active = w.Active, secret = w.Secret, inserted_at = w.InsertedAt, updated_at = w.UpdatedAt }
        : new { id = w.Id, url = w.Url, events = w.Events, description = w.Description, active = w.Active, inserted_at = w.InsertedAt, updated_at = w.UpdatedAt };

    private static async Task<IResult> List(HttpContext http, WebhookRows rows)
    {
        var page = await rows.ListAsync(http.Caller().Tenant, Sorting.Parse(http.Request.Query));
        return Envelope.List(new Grains.ReadModel.Page<object>(page.Items.Select(w => View(w)).ToList(), page.CurrentPage, page.PageSize, page.TotalCount));
    }

    private static async Task<IResult> Get(Guid id, HttpContext http, WebhookRows rows) =>
        Envelope.Ok(View((await rows.GetAsync(http.Caller().Tenant, id)).OrNotFound(NotFoundDetail)));

    private static async Task<IResult> Create(HttpContext http, WebhookRows rows, WebhookTargets targets, WebhookOptions options,
        IGrainFactory grains, PlanCatalog plans)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<WebhookRequest>(http.Request, "webhook");
        await Validate(body, creating: true, targets, http.RequestAborted);
        await RequirePlan(caller, grains, plans);
        if (await rows.CountAsync(caller.Tenant) >= options.MaxPerTenant)
            throw ApiException.Unprocessable($"Webhook limit reached: a company may have {options.MaxPerTenant} webhooks");
        var now = Voki.Grains.Clock.Now();
        var webhook = new Webhook
        {
            Id = Guid.NewGuid(),
            Url = body.Url!,
            Events = body.Events!.Distinct().ToArray(),
            Secret = body.Secret ?? WebhookSignature.NewSecret(),
            Description = body.Description,
            Active = body.Active ?? true,
            InsertedAt = now,
            UpdatedAt = now,
        };
        await rows.InsertAsync(caller.Tenant, webhook);
        return Envelope.Created(View(webhook, withSecret: true));
    }

    private static async Task<IResult> Update(Guid id, HttpContext http, WebhookRows rows, WebhookTargets targets, IGrainFactory grains, PlanCatalog plans)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<WebhookRequest>(http.Request, "webhook");
        var webhook = (await rows.GetAsync(caller.Tenant, id)).OrNotFound(NotFoundDetail);
        await Validate(body, creating: false, targets, http.RequestAborted);
        await RequirePlan(caller, grains, plans);
        var updated = webhook with
        {
            Url = body.Url ?? webhook.Url,
            Events = body.Events?.Distinct().ToArray() ?? webhook.Events,
            Secret = body.Secret ?? webhook.Secret,
            Description = body.Description ?? webhook.Description,
            Active = body.Active ?? webhook.Active,
            UpdatedAt = Voki.Grains.Clock.Now(),
        };
        if (!await rows.UpdateAsync(caller.Tenant, updated)) throw ApiException.NotFound(NotFoundDetail);
        return Envelope.Ok(View(updated));
    }

    private static async Task<IResult> Delete(Guid id, HttpContext http, WebhookRows rows) =>
        await rows.DeleteAsync(http.Caller().Tenant, id) ? Results.NoContent() : throw ApiException.NotFound(NotFoundDetail);

    private static async Task<IResult> Test(Guid id, HttpContext http, WebhookRows rows, IGrainFactory grains, PlanCatalog plans)
    {
        var caller = http.Caller();
        var webhook = (await rows.GetAsync(caller.Tenant, id)).OrNotFound(NotFoundDetail);
        await RequirePlan(caller, grains, plans);
        var test = new WebhookEvent(WebhookEvents.Test, null, new { webhook_id = webhook.Id, url = webhook.Url, message = "A test delivery from Voki" });
        var delivery = (await rows.EnqueueTestAsync(caller.Tenant, webhook.Id, test)).OrNotFound(NotFoundDetail);
        return Results.Json(new { data = delivery }, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> Deliveries(Guid id, HttpContext http, WebhookRows rows)
    {
        var caller = http.Caller();
        var query = http.Request.Query;
        var v = new Validator();
        var status = QueryValues.OneOf(query, "status", DeliveryStatus.All, v);
        var eventId = QueryValues.Guid(query, "event_id", v);
        v.ThrowIfInvalid();
        var list = DeliverySorting.Parse(query);
        _ = (await rows.GetAsync(caller.Tenant, id)).OrNotFound(NotFoundDetail);
        return Envelope.List(await rows.DeliveriesAsync(caller.Tenant, id, status, eventId, list));
    }

    /// <summary>Reference §2.15: webhooks are for advanced, professional and enterprise (the Plans table's Webhooks column).</summary>
    private static async Task RequirePlan(Caller caller, IGrainFactory grains, PlanCatalog plans)
    {
        var company = await grains.GetGrain<ICompanyGrain>(TenantKey.ForCompany(caller.Tenant)).Get();
        var plan = plans[company?.Plan ?? "free"];
        if (!plan.Webhooks)
            throw ApiException.Unprocessable($"Webhooks are not included in the {plan.Name} plan (plans with webhooks: {string.Join(", ", plans.WithWebhooks)})");
    }

    private static async Task Validate(WebhookRequest body, bool creating, WebhookTargets targets, CancellationToken cancellation)
    {
        var v = new Validator();
        if (creating)
        {
            v.Required("url", body.Url);
            if (body.Events is null || body.Events.Length == 0) v.Add("events", "can't be blank");
        }
        else if (body.Events is { Length: 0 }) v.Add("events", "can't be blank");
        foreach (var unknown in (body.Events ?? []).Where(e => !WebhookEvents.All.Contains(e)).Take(3))
            v.Add("events", unknown is null ? "is invalid" : $"is invalid: unknown event \"{(unknown.Length > 50 ? unknown[..50] + "…" : unknown)}\"");
        v.MaxLength("url", body.Url, 2000).MaxLength("description", body.Description, 500)
            .MinLength("secret", body.Secret, 16).MaxLength("secret", body.Secret, 200).NotBlankIfPresent("secret", body.Secret);
        v.ThrowIfInvalid();
        if (body.Url is { } url && await targets.RefusalAsync(url, cancellation) is { } refusal)
            throw ValidationException.Single("url", refusal);
    }
}
