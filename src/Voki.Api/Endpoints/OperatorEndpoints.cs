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
