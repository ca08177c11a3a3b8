using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.Placement;

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
            .Produces<ClusterWorkView>()
            .WithSummary("The heavy work of this node and of every node of the cluster (Bearer Operator:Token): each node's roles, its compositions and transcriptions running, waiting for a slot (with their place in that node's queue) and the last ones it ran");
    }

    /// <summary>
    /// This node's heavy work (as before: <c>node</c>, <c>compositions</c>, <c>transcriptions</c>), with its silo and roles,
    /// and <c>cluster</c>: the same for every active node, this one included, as each tells it now.
    /// </summary>
    public sealed record ClusterWorkView(string? Node, string Silo, IReadOnlyList<string> Roles, WorkQueue Compositions, WorkQueue Transcriptions,
        IReadOnlyList<NodeWorkView> Cluster);

    /// <summary>One node's heavy work; <c>answered</c> is false for a node that did not tell it in time (its queues are then empty here).</summary>
    public sealed record NodeWorkView(string Silo, string? Node, IReadOnlyList<string> Roles, bool Answered, WorkQueue Compositions, WorkQueue Transcriptions);

    /// <summary>Recordings being composed or waiting (still <c>processing</c>), or transcriptions likewise; <c>recent</c>: the last ones that ran here, latest first.</summary>
    public sealed record WorkQueue(int Capacity, IReadOnlyList<WorkItem> Running, IReadOnlyList<WorkItem> Waiting, IReadOnlyList<FinishedItem> Recent);

    /// <summary>A recording's job: <c>place</c> is 1 for the next to run, null for one running; <c>since</c> when it began to run or to wait.</summary>
    public sealed record WorkItem(string Tenant, Guid CallId, int? Place, DateTime Since);

    /// <summary>A job that held a slot of the node from <c>since</c> until <c>until</c>, whatever its outcome.</summary>
    public sealed record FinishedItem(string Tenant, Guid CallId, DateTime Since, DateTime Until);

    private static async Task<IResult> Work(ClusterWork cluster, IServiceProvider services)
    {
        var here = NodeWorkGrain.Here(services);
        var nodes = await cluster.ViewsAsync(cluster.ActiveSilos());
        return Envelope.Ok(new ClusterWorkView(here.Node, here.Silo, here.Roles, Queue(here.Compositions), Queue(here.Transcriptions),
            nodes.Select(n => n.Work is { } w
                    ? new NodeWorkView(w.Silo, w.Node, w.Roles, true, Queue(w.Compositions), Queue(w.Transcriptions))
                    : new NodeWorkView(n.Silo.Endpoint.ToString(), null, cluster.RolesOf(n.Silo)?.Names ?? [], false, Queue(null), Queue(null)))
                .OrderBy(n => n.Silo, StringComparer.Ordinal).ToList()));

        static WorkQueue Queue(WorkSlotsView? view) => view is null
            ? new WorkQueue(0, [], [], [])
            : new WorkQueue(view.Capacity,
                view.Running.Select(j => Item(j.Job, null, j.Since)).ToList(),
                view.Waiting.Select(j => Item(j.Job, j.Place, j.Since)).ToList(),
                view.Recent.Select(j => new FinishedItem(TenantKey.TenantOf(j.Job), TenantKey.IdOf(j.Job), Utc(j.Since), Utc(j.Until))).ToList());

        static WorkItem Item(string job, int? place, DateTime since) => new(TenantKey.TenantOf(job), TenantKey.IdOf(job), place, Utc(since));

        static DateTime Utc(DateTime at) => DateTime.SpecifyKind(at, DateTimeKind.Utc);
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
