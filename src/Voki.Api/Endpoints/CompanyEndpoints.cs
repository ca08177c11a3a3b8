using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Api.Endpoints;

public static class CompanyEndpoints
{
    public sealed class CompanyUpdateRequest : PatchBody
    {
        public string? Name { get; set; }
        public string? Email { get; set; }
        public string? Phone { get; set; }
        public string? LogoUrl { get; set; }
        public string? PrimaryColor { get; set; }
        public string? Document { get; set; }
        public string? DocumentType { get; set; }
        public string? Locale { get; set; }
        public bool? RecordingEnabled { get; set; }
        public bool? TranscriptionEnabled { get; set; }
        public bool? MfaRequired { get; set; }
    }

    public static void MapCompanyEndpoints(this IEndpointRouteBuilder app)
    {
        var company = app.MapGroup("/api/v1/company").WithTags("Company").RequireAuthorization(Policies.Manager);
        company.MapGet("", Get).WithSummary("The caller's company (tenant settings)");
        company.MapPut("", Update).Accepts<CompanyUpdateRequest>("application/json")
            .WithSummary("Change settings; recording/transcription only where the plan allows them (else 422). slug and plan cannot change. " +
                         "null clears email, phone, logo_url and document (with its document_type); a field left out stays as it is");

        app.MapGet("/api/v1/billing/plan", BillingPlan).WithTags("Billing").RequireAuthorization(Policies.Manager)
            .WithSummary("The plan's limits and the current usage");
    }

    private static async Task<IResult> Get(HttpContext http, IGrainFactory grains) =>
        Envelope.Ok((await CompanyOf(http.Caller(), grains)).OrNotFound());

    private static async Task<IResult> Update(HttpContext http, IGrainFactory grains)
    {
        var caller = http.Caller();
        var body = await RequestBody.ReadAsync<CompanyUpdateRequest>(http.Request, "company");
        var v = new Validator()
            .NotBlankIfPresent("name", body.Name).MaxLength("name", body.Name, 200)
            .Email("email", body.Email).Phone("phone", body.Phone).Color("primary_color", body.PrimaryColor)
            .OneOf("document_type", body.DocumentType, ["cpf", "cnpj"])
            .OneOf("locale", body.Locale, ["pt-BR", "en-US", "es", "fr", "detect"]);
        foreach (var required in new[] { "name", "primary_color", "locale", "recording_enabled", "transcription_enabled", "mfa_required" })
            if (body.Clears(required)) v.Add(required, "can't be blank");
        // The type goes with its document: null on its own would leave a document of no type.
        if (body.Clears("document_type") && !body.Clears("document")) v.Add("document_type", "can't be blank");
        v.ThrowIfInvalid();
        var updated = await grains.GetGrain<ICompanyGrain>(TenantKey.ForCompany(caller.Tenant)).Update(new CompanyChanges
        {
            Name = body.Name?.Trim(), Email = body.Email, Phone = body.Phone, LogoUrl = body.LogoUrl, PrimaryColor = body.PrimaryColor,
            Document = body.Document, DocumentType = body.DocumentType, Locale = body.Locale,
            RecordingEnabled = body.RecordingEnabled, TranscriptionEnabled = body.TranscriptionEnabled, MfaRequired = body.MfaRequired,
            ClearEmail = body.Clears("email"), ClearPhone = body.Clears("phone"), ClearLogoUrl = body.Clears("logo_url"), ClearDocument = body.Clears("document"),
        }).Unwrap();
        return Envelope.Ok(updated);
    }

    private static async Task<IResult> BillingPlan(HttpContext http, IGrainFactory grains, PlanCatalog plans, CompanyRows companies, RecordingRows recordings)
    {
        var caller = http.Caller();
        var company = (await CompanyOf(caller, grains)).OrNotFound();
        var plan = plans[company.Plan];
        var (periodStart, periodEnd) = BillingPeriod(company.InsertedAt, DateTime.UtcNow);
        var usage = await companies.UsageAsync(caller.Tenant, periodStart);
        return Envelope.Ok(new
        {
            plan = plan.Name,
            status = "active",
            max_concurrent_calls = plan.MaxConcurrentCalls,
            max_users = plan.MaxUsers,
            max_departments = plan.MaxDepartments,
            recording_enabled = plan.Recording,
            transcription_enabled = plan.Transcription,
            analytics_enabled = plan.FullAnalytics,
            recording_retention_days = plan.RetentionDays,
            current_period_start = periodStart,
            current_period_end = periodEnd,
            usage = new
            {
                active_users = usage.ActiveUsers,
                active_departments = usage.ActiveDepartments,
                calls_this_month = usage.CallsThisMonth,
                recording_storage_mb = (long)Math.Ceiling(await recordings.StorageBytesAsync(caller.Tenant) / 1_048_576.0),
            },
        });
    }

    /// <summary>Monthly periods anchored on the signup day, clamped to the month's length.</summary>
    public static (DateTime Start, DateTime End) BillingPeriod(DateTime signup, DateTime now)
    {
        DateTime Anchor(int year, int month) =>
            new(year, month, Math.Min(signup.Day, DateTime.DaysInMonth(year, month)), 0, 0, 0, DateTimeKind.Utc);
        var start = Anchor(now.Year, now.Month);
        if (start > now) start = Anchor(now.AddMonths(-1).Year, now.AddMonths(-1).Month);
        var next = start.AddMonths(1);
        return (start, Anchor(next.Year, next.Month));
    }

    private static Task<Company?> CompanyOf(Caller caller, IGrainFactory grains) =>
        grains.GetGrain<ICompanyGrain>(TenantKey.ForCompany(caller.Tenant)).Get();
}
