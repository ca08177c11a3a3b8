using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;

namespace Voki.Api.Endpoints;

/// <summary>
/// The platform operator's API (decisions.md, second round: a tenant's plan is changed by an operator, never by the
/// tenant). Served only when Operator:Token is configured; <c>./voki plan</c> calls it.
/// </summary>
public static class OperatorEndpoints
{
    public sealed class PlanRequest { public string? Plan { get; set; } }

    public static void MapOperatorEndpoints(this IEndpointRouteBuilder app)
    {
        var tenants = app.MapGroup("/api/operator/tenants").WithTags("Operator")
            .RequireAuthorization(Policies.Operator).RequireRateLimiting(RateLimits.AuthPolicy);
        tenants.MapGet("/{slug}", Get).WithSummary("A tenant's company with its plan (Bearer Operator:Token)");
        tenants.MapPut("/{slug}/plan", ChangePlan).Accepts<PlanRequest>("application/json")
            .WithSummary("Change a tenant's plan (Bearer Operator:Token); recording or transcription the new plan lacks is switched off");
        app.MapGet("/api/operator/work", Work).WithTags("Operator")
            .RequireAuthorization(Policies.Operator).RequireRateLimiting(RateLimits.AuthPolicy)
            .Produces<NodeWork>()
            .WithSummary("This node's heavy work (Bearer Operator:Token): the compositions and transcriptions running and waiting for a slot, each waiting one with its place in the queue");
    }

    /// <summary>One node's heavy work: recordings being composed or waiting (still <c>processing</c>), transcriptions likewise.</summary>
    public sealed record NodeWork(string? Node, WorkQueue Compositions, WorkQueue Transcriptions);

    public sealed record WorkQueue(int Capacity, IReadOnlyList<WorkItem> Running, IReadOnlyList<WorkItem> Waiting);

    /// <summary>A recording's job: <c>place</c> is 1 for the next to run, null for one running; <c>since</c> when it began to run or to wait.</summary>
    public sealed record WorkItem(string Tenant, Guid CallId, int? Place, DateTime Since);

    private static IResult Work(RecordingOptions recordings, IServiceProvider services)
    {
        var compositions = services.GetService<CompositionSlots>();
        var transcriptions = services.GetService<TranscriptionSlots>();
        return Envelope.Ok(new NodeWork(recordings.NodeUrl, Queue(compositions?.View()), Queue(transcriptions?.View())));

        static WorkQueue Queue(WorkSlotsView? view) => view is null
            ? new WorkQueue(0, [], [])
            : new WorkQueue(view.Capacity,
                view.Running.Select(j => Item(j.Job, null, j.Since)).ToList(),
                view.Waiting.Select(j => Item(j.Job, j.Place, j.Since)).ToList());

        static WorkItem Item(string job, int? place, DateTime since) =>
            new(TenantKey.TenantOf(job), TenantKey.IdOf(job), place, DateTime.SpecifyKind(since, DateTimeKind.Utc));
    }

    private static async Task<IResult> Get(string slug, IGrainFactory grains) =>
        Envelope.Ok((await grains.GetGrain<ICompanyGrain>(TenantKey.ForCompany(slug)).Get()).OrNotFound());

    private static async Task<IResult> ChangePlan(string slug, HttpRequest request, IGrainFactory grains, PlanCatalog plans)
    {
        var body = await RequestBody.ReadAsync<PlanRequest>(request);
        new Validator().Required("plan", body.Plan).OneOf("plan", body.Plan, plans.Names).ThrowIfInvalid();
        var company = grains.GetGrain<ICompanyGrain>(TenantKey.ForCompany(slug));
        (await company.Get()).OrNotFound();
        return Envelope.Ok(await company.ChangePlan(body.Plan!).Unwrap());
    }
}
