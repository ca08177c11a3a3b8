using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Api.Endpoints;

/// <summary>
/// Analytics (reference §2.13): manager and above. Every plan has the basic analytics (overview, hourly); agents and
/// trends are the full analytics of the plans whose <c>analytics_enabled</c> is true (advanced and up).
/// </summary>
public static class AnalyticsEndpoints
{
    public const int OverviewDays = 30, HourlyDays = 7;
    public const int MaxTrendPeriods = 1000;
    public static readonly string[] Periods = ["day", "week", "month"];

    public sealed record AnalyticsOverview(
        long TotalCalls, long CompletedCalls, long MissedCalls, long CancelledCalls, int? AvgDuration, int? AvgWaitTime, double? AvgRating,
        long TotalCustomers, long NewCustomers, double? CompletionRate, double? SatisfactionRate);
    public sealed record OverviewAnswer(AnalyticsOverview Data);

    public sealed record HourlyPoint(int Hour, long Total, long Completed, long Missed);
    public sealed record HourlyAnswer(IReadOnlyList<HourlyPoint> Data);

    public sealed record AgentRow(Guid UserId, string? UserName, long TotalCalls, long CompletedCalls, int? AvgDuration, double? AvgRating);
    public sealed record AgentsAnswer(IReadOnlyList<AgentRow> Data);

    public sealed record TrendPoint(string Date, long Total, long Completed, long Missed, int? AvgWaitTime);
    public sealed record TrendsAnswer(IReadOnlyList<TrendPoint> Data);

    public sealed record ViewRefresh(string[] Views, bool Refreshed, DateTime RefreshedAt, DateTime CoversUntil);
    public sealed record RefreshAnswer(ViewRefresh Data);

    private const string Common =
        "Days and hours are UTC (a company has no time zone setting). A call counts in the range by its creation (inserted_at), " +
        "in whatever state it is in now: date_from and date_to take a date (date_to's whole day is included) or an ISO 8601 timestamp; " +
        "department_id (one of the company's departments) narrows to its calls. 422 for a date that does not parse, date_from after date_to, " +
        "or a department_id that is not one of the company's. Answers read the materialized views for the calls created before the views' " +
        "cut-off (the start of the UTC day of their last refresh) and the calls table for every later call, so today's calls show at once; " +
        "an earlier call that changed since the last refresh (completed after midnight, rated later) shows its new state after the next " +
        "refresh (every node refreshes every Analytics:RefreshInterval, default 30 minutes, and POST /api/v1/analytics/refresh-views does at once)";

    private const string Averages =
        "Averages are of the calls that have the figure: avg_duration (whole seconds) of completed calls, avg_wait_time (whole seconds, " +
        "from joining to being started) of started calls, avg_rating (one decimal) of rated calls; null when no call has it";

    public static void MapAnalyticsEndpoints(this IEndpointRouteBuilder app)
    {
        var analytics = app.MapGroup("/api/v1/analytics").WithTags("Analytics").RequireAuthorization(Policies.Manager);
        analytics.MapGet("/overview", Overview).Produces<OverviewAnswer>()
            .WithSummary("Totals of the range (manager; every plan): date_from (default 30 days ago), date_to (default today), department_id")
            .WithDescription("{total_calls, completed_calls, missed_calls, cancelled_calls, avg_duration, avg_wait_time, avg_rating, total_customers, " +
                             "new_customers, completion_rate, satisfaction_rate}. completion_rate = completed_calls / total_calls × 100 and " +
                             "satisfaction_rate = the percentage of rated calls rated 4 or 5, both with one decimal (null without calls or ratings). " +
                             "total_customers: the distinct customers of the range's calls; new_customers: those of them whose customer record was " +
                             "created within the range (a first widget join creates it). " + Averages + ". " + Common);
        analytics.MapGet("/hourly", Hourly).Produces<HourlyAnswer>()
            .WithSummary("Calls per hour of the day (manager; every plan): date_from (default 7 days ago), date_to (default today), department_id")
            .WithDescription("[{hour, total, completed, missed}] for each UTC hour 0–23, hours without calls included (zeros), summed over the days of the range. " + Common);
        analytics.MapGet("/agents", Agents).Produces<AgentsAnswer>()
            .WithSummary("Figures per attendant (manager; full analytics: advanced plans and up, else 403): date_from (default 30 days ago), date_to (default today), department_id")
            .WithDescription("[{user_id, user_name, total_calls, completed_calls, avg_duration, avg_rating}] for every member who was assigned " +
                             "calls of the range, most calls first; not paginated. online_time is not reported: presence is kept only while " +
                             "it lasts, not as a history. " + Averages + ". " + Common);
        analytics.MapGet("/trends", Trends).Produces<TrendsAnswer>()
            .WithSummary("Calls per day, week or month (manager; full analytics: advanced plans and up, else 403): period (day|week|month, default day), " +
                         "date_from (default 30 days, 12 weeks or 12 months ago), date_to (default today), department_id")
            .WithDescription("[{date, total, completed, missed, avg_wait_time}] oldest first, one item per period from the one holding date_from " +
                             "to the one holding date_to, periods without calls included (zeros, avg_wait_time null); date is the period's " +
                             "first day (yyyy-MM-dd; weeks start on Monday), so the first may precede date_from. At most " +
                             $"{MaxTrendPeriods} periods (422 on date_from beyond that). " + Common);
        analytics.MapPost("/refresh-views", RefreshViews).Produces<RefreshAnswer>()
            .WithSummary("Refresh the analytics materialized views now (REFRESH MATERIALIZED VIEW CONCURRENTLY; manager; every plan)")
            .WithDescription("Moves the views' cut-off to the start of the current UTC day and recomputes them for every company (tenancy is by row: " +
                             "one set of views), readers being served the old rows meanwhile; answers 200 when done: {views, refreshed, refreshed_at, " +
                             "covers_until}. Refreshes take turns; one asked for within Analytics:MinRefreshInterval (default 60 s) of the last " +
                             "refresh, or while another runs, returns that refresh (refreshed: false) instead of starting another");
    }

    private static async Task<IResult> Overview(HttpContext http, AnalyticsRows rows, IGrainFactory grains)
    {
        var caller = http.Caller();
        var range = await Range(http, grains, caller, DefaultFrom(OverviewDays));
        var (calls, customers) = await rows.OverviewAsync(caller.Tenant, range);
        return Results.Json(new OverviewAnswer(new AnalyticsOverview(
            calls.Total, calls.Completed, calls.Missed, calls.Cancelled, Seconds(calls.DurationSum, calls.DurationCount),
            Seconds(calls.WaitSum, calls.WaitCount), OneDecimal(calls.RatingSum, calls.RatingCount), customers.Total, customers.New,
            Percent(calls.Completed, calls.Total), Percent(calls.SatisfiedCount, calls.RatingCount))));
    }

    private static async Task<IResult> Hourly(HttpContext http, AnalyticsRows rows, IGrainFactory grains)
    {
        var caller = http.Caller();
        var range = await Range(http, grains, caller, DefaultFrom(HourlyDays));
        var hours = await rows.HourlyAsync(caller.Tenant, range);
        return Results.Json(new HourlyAnswer(Enumerable.Range(0, 24).Select(h =>
        {
            var f = hours.GetValueOrDefault(h, CallFigures.None);
            return new HourlyPoint(h, f.Total, f.Completed, f.Missed);
        }).ToList()));
    }

    private static async Task<IResult> Agents(HttpContext http, AnalyticsRows rows, IGrainFactory grains, PlanCatalog plans)
    {
        var caller = http.Caller();
        await RequireFullAnalytics(caller, grains, plans, "Analytics by agent");
        var range = await Range(http, grains, caller, DefaultFrom(OverviewDays));
        var agents = await rows.AgentsAsync(caller.Tenant, range);
        return Results.Json(new AgentsAnswer(agents.Select(a => new AgentRow(
            a.UserId, a.UserName, a.Total, a.Completed, Seconds(a.DurationSum, a.DurationCount), OneDecimal(a.RatingSum, a.RatingCount))).ToList()));
    }

    private static async Task<IResult> Trends(HttpContext http, AnalyticsRows rows, IGrainFactory grains, PlanCatalog plans)
    {
        var caller = http.Caller();
        await RequireFullAnalytics(caller, grains, plans, "Trends");
        var v = new Validator();
        var period = QueryValues.OneOf(http.Request.Query, "period", Periods, v) ?? "day";
        v.ThrowIfInvalid();
        var today = Today();
        var defaultFrom = period switch { "week" => today.AddDays(-7 * 12), "month" => today.AddMonths(-12), _ => today.AddDays(-OverviewDays) };
        var range = await Range(http, grains, caller, defaultFrom, periodsOf: period);
        var figures = await rows.TrendsAsync(caller.Tenant, range, period);
        var points = new List<TrendPoint>();
        for (var start = PeriodStart(range.From, period); start < range.To; start = Next(start, period))
        {
            var f = figures.GetValueOrDefault(start, CallFigures.None);
            points.Add(new TrendPoint(start.ToString("yyyy-MM-dd"), f.Total, f.Completed, f.Missed, Seconds(f.WaitSum, f.WaitCount)));
        }
        return Results.Json(new TrendsAnswer(points));
    }

    private static async Task<IResult> RefreshViews(AnalyticsRows rows, AnalyticsOptions options, CancellationToken cancellation)
    {
        var state = await rows.RefreshAsync(options.MinRefreshInterval, cancellation);
        return Results.Json(new RefreshAnswer(new ViewRefresh(AnalyticsRows.Views, state.RefreshedNow, Grains.Clock.Truncate(state.RefreshedAt), state.CoversUntil)));
    }

    /// <summary>Reference §2.9: free and basic have "Basic" analytics; the plans with analytics_enabled have them all.</summary>
    private static async Task RequireFullAnalytics(Caller caller, IGrainFactory grains, PlanCatalog plans, string what)
    {
        var company = await grains.GetGrain<ICompanyGrain>(TenantKey.ForCompany(caller.Tenant)).Get();
        var plan = plans[company?.Plan ?? "free"];
        if (plan.FullAnalytics) return;
        var full = string.Join(", ", plans.Names.Where(n => plans[n].FullAnalytics));
        throw new ApiException(StatusCodes.Status403Forbidden,
            $"{what} is part of the full analytics, which the {plan.Name} plan does not include (plans with full analytics: {full})");
    }

    private static async Task<AnalyticsRange> Range(HttpContext http, IGrainFactory grains, Caller caller, DateTime defaultFrom, string? periodsOf = null)
    {
        var query = http.Request.Query;
        var v = new Validator();
        var from = QueryValues.Date(query, "date_from", upperBound: false, v);
        var to = QueryValues.Date(query, "date_to", upperBound: true, v);
        var department = QueryValues.Guid(query, "department_id", v);
        v.ThrowIfInvalid();
        var range = new AnalyticsRange(from ?? defaultFrom, to ?? Today().AddDays(1), department);
        if (range.From >= range.To) v.Add("date_to", from is null ? $"can't be before date_from (by default {DateOnly.FromDateTime(range.From):yyyy-MM-dd})" : "can't be before date_from");
        else if (periodsOf is not null && PeriodCount(range, periodsOf) > MaxTrendPeriods)
            v.Add("date_from", $"is too far back: at most {MaxTrendPeriods} periods of a {periodsOf}");
        if (department is { } id && await grains.GetGrain<IDepartmentGrain>(TenantKey.For(caller.Tenant, id)).Get() is null)
            v.Add("department_id", "does not exist");
        v.ThrowIfInvalid();
        return range;
    }

    private static double PeriodCount(AnalyticsRange range, string period) => period switch
    {
        "week" => (range.To - range.From).TotalDays / 7,
        "month" => (range.To - range.From).TotalDays / 28,
        _ => (range.To - range.From).TotalDays,
    };

    private static DateTime Today() => DateOnly.FromDateTime(DateTime.UtcNow).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    private static DateTime DefaultFrom(int days) => Today().AddDays(-days);

    /// <summary>The first instant of the day, ISO week (from Monday) or month holding <paramref name="t"/>, as PostgreSQL's date_trunc.</summary>
    private static DateTime PeriodStart(DateTime t, string period) => period switch
    {
        "week" => DateTime.SpecifyKind(t.Date.AddDays(-(((int)t.DayOfWeek + 6) % 7)), DateTimeKind.Utc),
        "month" => new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc),
        _ => DateTime.SpecifyKind(t.Date, DateTimeKind.Utc),
    };

    /// <summary>The next period's start; past the last representable one, the last instant (which ends the loop over a range).</summary>
    private static DateTime Next(DateTime start, string period)
    {
        var last = period == "month" ? start is { Year: 9999, Month: 12 } : DateTime.MaxValue - start < TimeSpan.FromDays(period == "week" ? 7 : 1);
        if (last) return DateTime.MaxValue;
        return period switch { "week" => start.AddDays(7), "month" => start.AddMonths(1), _ => start.AddDays(1) };
    }

    private static int? Seconds(long sum, long count) => count == 0 ? null : (int)Math.Round((double)sum / count, MidpointRounding.AwayFromZero);

    private static double? OneDecimal(long sum, long count) => count == 0 ? null : Math.Round((double)sum / count, 1, MidpointRounding.AwayFromZero);

    private static double? Percent(long part, long whole) => whole == 0 ? null : Math.Round(100.0 * part / whole, 1, MidpointRounding.AwayFromZero);
}

/// <summary>The "Analytics" configuration section.</summary>
public sealed class AnalyticsOptions
{
    /// <summary>How often the views are refreshed in the background (by whichever node gets there first).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A refresh asked for sooner than this after the last one returns that one: every refresh reads every tenant's calls.</summary>
    public TimeSpan MinRefreshInterval { get; set; } = TimeSpan.FromSeconds(60);
}
