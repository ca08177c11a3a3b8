using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Voki.Grains.ReadModel;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>
/// Analytics (reference §2.13) against a real node and PostgreSQL. Earlier days' calls are written into the read model
/// (as the product leaves them), today's come through the widget and the console's routes; every figure is worked
/// out by hand from the table in <see cref="World"/>.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class AnalyticsTests(VokiApp app)
{
    private static DateTime Today => DateTime.UtcNow.Date;

    [Fact]
    public async Task The_overview_totals_the_range_as_worked_out_by_hand()
    {
        var w = await World.Build(app);
        var p1 = w.Live[0];

        // Before a refresh the views hold none of the earlier days' rows written since the last one: only today's calls show.
        var live = await Overview(w, "");
        Assert.Equal(2, live["total_calls"]!.GetValue<int>());
        await w.Refresh();

        // Default range: the last 30 days to today. c1–c6 and today's p1 (completed, rated 5) and p2 (queued); c7 is 40+ days old.
        var all = await Overview(w, "");
        AssertOverview(all, total: 8, completed: 5, missed: 1, cancelled: 1,
            avgDuration: Avg(300 + 100 + 200 + 400 + p1.Duration, 5), avgWait: Avg(20 + 40 + 30 + 60 + p1.Wait, 5),
            avgRating: 4.2 /* (5+3+4+4+5)/5 */, customers: 6 /* X Y Z W Carla Davi */, newCustomers: 4 /* Y Z Carla Davi */,
            completionRate: 62.5 /* 5/8 */, satisfactionRate: 80.0 /* 4 of 5 rated ≥ 4 */);

        // Sales only: c1 c2 c3 c4 p1. Ratings 5 3 4 5: 17/4 = 4.25 → 4.3.
        AssertOverview(await Overview(w, $"?department_id={w.Sales}"), total: 5, completed: 4, missed: 1, cancelled: 0,
            avgDuration: Avg(600 + p1.Duration, 4), avgWait: Avg(90 + p1.Wait, 4), avgRating: 4.3, customers: 4 /* X Y Z Carla */,
            newCustomers: 3 /* Y Z Carla */, completionRate: 80.0, satisfactionRate: 75.0);

        // Day D alone (a bare date_to covers its whole day): c1 c2 c3 c4.
        var d = $"{w.D:yyyy-MM-dd}";
        AssertOverview(await Overview(w, $"?date_from={d}&date_to={d}"), total: 4, completed: 3, missed: 1, cancelled: 0,
            avgDuration: 200, avgWait: 30, avgRating: 4.0, customers: 3, newCustomers: 2 /* Y Z */, completionRate: 75.0, satisfactionRate: 66.7);

        // Timestamps cut hours in two: from D 09:30 to D 14:10 holds c2 (09:40) and c3 (14:05) only.
        AssertOverview(await Overview(w, $"?date_from={w.D.AddMinutes(570):yyyy-MM-dd'T'HH:mm:ss'Z'}&date_to={w.D.AddMinutes(850):yyyy-MM-dd'T'HH:mm:ss'Z'}"),
            // Y was created at 09:00, before the range; Z within it, but Z's call is not.
            total: 2, completed: 2, missed: 0, cancelled: 0, avgDuration: 150, avgWait: 35, avgRating: 3.5, customers: 2, newCustomers: 0,
            completionRate: 100.0, satisfactionRate: 50.0);

        // X called on D−35 and at D 14:05, so X's calls span both of these: D 09:00–09:30 holds X's c1, D 09:15–09:45 only Y's c2.
        AssertOverview(await Overview(w, $"?date_from={w.D.AddHours(9):yyyy-MM-dd'T'HH:mm:ss'Z'}&date_to={w.D.AddMinutes(570):yyyy-MM-dd'T'HH:mm:ss'Z'}"),
            total: 1, completed: 1, missed: 0, cancelled: 0, avgDuration: 300, avgWait: 20, avgRating: 5.0, customers: 1, newCustomers: 0,
            completionRate: 100.0, satisfactionRate: 100.0);
        AssertOverview(await Overview(w, $"?date_from={w.D.AddMinutes(555):yyyy-MM-dd'T'HH:mm:ss'Z'}&date_to={w.D.AddMinutes(585):yyyy-MM-dd'T'HH:mm:ss'Z'}"),
            total: 1, completed: 1, missed: 0, cancelled: 0, avgDuration: 100, avgWait: 40, avgRating: 3.0, customers: 1, newCustomers: 0,
            completionRate: 100.0, satisfactionRate: 0.0);

        // With c7 (D − 35 days): its customer X is old, its rating 1 is the only one below 3.
        AssertOverview(await Overview(w, $"?date_from={w.D.AddDays(-36):yyyy-MM-dd}&date_to={w.D.AddDays(1):yyyy-MM-dd}"),
            total: 7, completed: 5, missed: 1, cancelled: 1, avgDuration: 210 /* 1050/5 */, avgWait: 32 /* 160/5 */, avgRating: 3.4 /* 17/5 */,
            customers: 4 /* X Y Z W */, newCustomers: 2, completionRate: 71.4 /* 5/7 */, satisfactionRate: 60.0 /* 3 of 5 */);

        // A range without calls: counts are zero, averages and rates null.
        AssertOverview(await Overview(w, $"?date_from={w.D.AddDays(-20):yyyy-MM-dd}&date_to={w.D.AddDays(-19):yyyy-MM-dd}"),
            total: 0, completed: 0, missed: 0, cancelled: 0, avgDuration: null, avgWait: null, avgRating: null, customers: 0, newCustomers: 0,
            completionRate: null, satisfactionRate: null);
    }

    [Fact]
    public async Task Hourly_sums_each_utc_hour_of_the_day_over_the_range()
    {
        var w = await World.Build(app);
        await w.Refresh();
        // D and D+1: hour 9 has c1 c2 (completed), c5 (cancelled), c6 (completed); hour 14 has c3 (completed) and c4 (missed).
        var days = await Hourly(w, $"?date_from={w.D:yyyy-MM-dd}&date_to={w.D.AddDays(1):yyyy-MM-dd}");
        AssertHours(days, new() { [9] = (4, 3, 0), [14] = (2, 1, 1) });
        AssertHours(await Hourly(w, $"?date_from={w.D:yyyy-MM-dd}&date_to={w.D.AddDays(1):yyyy-MM-dd}&department_id={w.Support}"),
            new() { [9] = (2, 1, 0) });
        // Hour edges read live: D 09:30–14:10 has c2 at 9 and c3 at 14.
        AssertHours(await Hourly(w, $"?date_from={w.D.AddMinutes(570):yyyy-MM-dd'T'HH:mm:ss'Z'}&date_to={w.D.AddMinutes(850):yyyy-MM-dd'T'HH:mm:ss'Z'}"),
            new() { [9] = (1, 1, 0), [14] = (1, 1, 0) });

        // The default is the last 7 days, D being at least 9 days back: only today's p1 (completed) and p2 (queued).
        var expected = new Dictionary<int, (int, int, int)>();
        foreach (var call in w.Live)
        {
            var (total, completed, missed) = expected.GetValueOrDefault(call.InsertedAt.Hour);
            expected[call.InsertedAt.Hour] = (total + 1, completed + (call.Completed ? 1 : 0), missed);
        }
        AssertHours(await Hourly(w, ""), expected);
    }

    [Fact]
    public async Task Agents_are_the_members_assigned_calls_most_calls_first()
    {
        var w = await World.Build(app);
        await w.Refresh();
        var p1 = w.Live[0];
        // Ana: c1 c2 p1; Bruno: c3 c6 (30 days; c7 is older).
        AssertAgents(await Agents(w, ""),
            (w.Ana, "Ana Atendente", 3, 3, Avg(400 + p1.Duration, 3), 4.3 /* 13/3 */),
            (w.Bruno, "Bruno Atendente", 2, 2, 300, 4.0));
        AssertAgents(await Agents(w, $"?department_id={w.Sales}"),
            (w.Ana, "Ana Atendente", 3, 3, Avg(400 + p1.Duration, 3), 4.3),
            (w.Bruno, "Bruno Atendente", 1, 1, 200, 4.0));
        AssertAgents(await Agents(w, $"?date_from={w.D.AddDays(-36):yyyy-MM-dd}"),
            (w.Ana, "Ana Atendente", 4, 4, Avg(450 + p1.Duration, 4), 3.5 /* 14/4 */),
            (w.Bruno, "Bruno Atendente", 2, 2, 300, 4.0));
        // The day after D: Bruno's c6 only (c5 was nobody's).
        AssertAgents(await Agents(w, $"?date_from={w.D.AddDays(1):yyyy-MM-dd}&date_to={w.D.AddDays(1):yyyy-MM-dd}"),
            (w.Bruno, "Bruno Atendente", 1, 1, 400, 4.0));
        Assert.Empty((await Agents(w, $"?date_from={w.D.AddDays(-20):yyyy-MM-dd}&date_to={w.D.AddDays(-19):yyyy-MM-dd}")).AsArray());
    }

    [Fact]
    public async Task Trends_give_every_day_week_or_month_of_the_range_oldest_first()
    {
        var w = await World.Build(app);
        await w.Refresh();
        var p1 = w.Live[0];
        var liveWait = (int?)p1.Wait;

        // Days: the last 30 days and today, 31 points.
        var days = (await Trends(w, "")).AsArray();
        Assert.Equal(31, days.Count);
        Assert.Equal($"{Today.AddDays(-30):yyyy-MM-dd}", days[0]!["date"]!.GetValue<string>());
        Assert.Equal($"{Today:yyyy-MM-dd}", days[^1]!["date"]!.GetValue<string>());
        var expectedDays = new Dictionary<string, (int, int, int, int?)>
        {
            [$"{w.D:yyyy-MM-dd}"] = (4, 3, 1, 30), // waits 20 40 30
            [$"{w.D.AddDays(1):yyyy-MM-dd}"] = (2, 1, 0, 60),
            [$"{Today:yyyy-MM-dd}"] = (2, 1, 0, liveWait),
        };
        AssertPoints(days, expectedDays);
        Assert.Equal(days.ToJsonString(), (await Trends(w, "?period=day")).ToJsonString());

        // Weeks start on Monday: D is one, D+1 its Tuesday; c7 is 5 weeks before. 12 weeks back from today's week: 13 points.
        var weeks = (await Trends(w, "?period=week")).AsArray();
        Assert.Equal(13, weeks.Count);
        Assert.Equal($"{Monday(Today.AddDays(-84)):yyyy-MM-dd}", weeks[0]!["date"]!.GetValue<string>());
        Assert.Equal($"{Monday(Today):yyyy-MM-dd}", weeks[^1]!["date"]!.GetValue<string>());
        AssertPoints(weeks, new()
        {
            [$"{w.D:yyyy-MM-dd}"] = (6, 4, 1, 38), // waits 20 40 30 60: 37.5 → 38
            [$"{w.D.AddDays(-35):yyyy-MM-dd}"] = (1, 1, 0, 10),
            [$"{Monday(Today):yyyy-MM-dd}"] = (2, 1, 0, liveWait),
        });

        // Months: 12 back and this one. Which month each call falls in depends on today's date, so it is worked out per call.
        var months = (await Trends(w, "?period=month")).AsArray();
        Assert.Equal(13, months.Count);
        Assert.Equal($"{Today.AddMonths(-12):yyyy-MM}-01", months[0]!["date"]!.GetValue<string>());
        var byMonth = new Dictionary<string, List<(bool Completed, bool Missed, int? Wait)>>();
        foreach (var (at, completed, missed, wait) in w.Seeded.Select(c => (c.At, c.Status == "completed", c.Status == "missed", c.Wait))
                     .Concat(w.Live.Select(c => (c.InsertedAt, c.Completed, false, c.Completed ? (int?)c.Wait : null))))
            (byMonth.TryGetValue($"{at:yyyy-MM}-01", out var list) ? list : byMonth[$"{at:yyyy-MM}-01"] = []).Add((completed, missed, wait));
        AssertPoints(months, byMonth.ToDictionary(m => m.Key, m => (m.Value.Count, m.Value.Count(c => c.Completed), m.Value.Count(c => c.Missed),
            m.Value.Any(c => c.Wait is not null) ? (int?)Math.Round(m.Value.Where(c => c.Wait is not null).Average(c => c.Wait!.Value), MidpointRounding.AwayFromZero) : null)));

        // A range starting mid-week begins with that week's Monday.
        var mid = (await Trends(w, $"?period=week&date_from={w.D.AddDays(2):yyyy-MM-dd}&date_to={w.D.AddDays(8):yyyy-MM-dd}")).AsArray();
        Assert.Equal([$"{w.D:yyyy-MM-dd}", $"{w.D.AddDays(7):yyyy-MM-dd}"], mid.Select(p => p!["date"]!.GetValue<string>()));
        Assert.All(mid, p => Assert.Equal(0, p!["total"]!.GetValue<int>()));
        // Sales' days: c1–c4 on D, nothing on D+1.
        var sales = (await Trends(w, $"?department_id={w.Sales}&date_from={w.D:yyyy-MM-dd}&date_to={w.D.AddDays(1):yyyy-MM-dd}")).AsArray();
        Assert.Equal("""[{"date":"D0","total":4,"completed":3,"missed":1,"avg_wait_time":30},{"date":"D1","total":0,"completed":0,"missed":0,"avg_wait_time":null}]"""
            .Replace("D0", $"{w.D:yyyy-MM-dd}").Replace("D1", $"{w.D.AddDays(1):yyyy-MM-dd}"), sales.ToJsonString());
    }

    [Fact]
    public async Task A_change_to_an_earlier_days_call_shows_after_the_next_refresh_and_refreshes_take_turns()
    {
        var w = await World.Build(app);
        var refreshed = await w.Owner.Post("/api/v1/analytics/refresh-views");
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.True(refreshed.Data["refreshed"]!.GetValue<bool>());
        Assert.Equal(["analytics_calls_hourly", "analytics_agents_daily", "analytics_customer_spans", "analytics_department_customer_spans"],
            refreshed.Data["views"]!.AsArray().Select(v => v!.GetValue<string>()));
        // The views hold the calls created before the start of the UTC day (of five minutes ago).
        Assert.Equal($"{DateTime.UtcNow.AddMinutes(-5).Date:yyyy-MM-dd}T00:00:00Z", refreshed.Data["covers_until"]!.GetValue<string>());
        var range = $"?date_from={w.D:yyyy-MM-dd}&date_to={w.D:yyyy-MM-dd}";
        Assert.Equal(4.0, (await Overview(w, range))["avg_rating"]!.GetValue<double>());

        // c2 (rated 3) is rated 5 instead: the view still has the 3 until the next refresh.
        await w.Sql("UPDATE calls SET rating = 5 WHERE tenant = @tenant AND id = @id", ("id", w.Seeded[1].Id));
        Assert.Equal(4.0, (await Overview(w, range))["avg_rating"]!.GetValue<double>());
        Assert.True((await w.Owner.Post("/api/v1/analytics/refresh-views")).Data["refreshed"]!.GetValue<bool>());
        var after = await Overview(w, range);
        Assert.Equal(4.7, after["avg_rating"]!.GetValue<double>()); // (5+5+4)/3
        Assert.Equal(100.0, after["satisfaction_rate"]!.GetValue<double>());

        // Yara (Y, in the views since D) calls again today: a customer of both parts of the range is counted once.
        var link = await w.Scenario.Link(w.Support);
        var yara = await w.Scenario.Anonymous.Post($"/api/v1/call/{link["token"]}/join", new { name = "Yara", email = "YARA@example.com" });
        Assert.Equal(HttpStatusCode.OK, yara.Status);
        var sinceD = await Overview(w, $"?date_from={w.D:yyyy-MM-dd}");
        Assert.Equal((9, 6, 4), (sinceD["total_calls"]!.GetValue<int>(), sinceD["total_customers"]!.GetValue<int>(), sinceD["new_customers"]!.GetValue<int>()));

        // Within the minimum interval another refresh returns the last one instead of reading every call again.
        var rows = app.Services.GetRequiredService<AnalyticsRows>();
        var last = await rows.StateAsync();
        var skipped = await rows.RefreshAsync(TimeSpan.FromHours(1));
        Assert.False(skipped.RefreshedNow);
        Assert.Equal(last.RefreshedAt, skipped.RefreshedAt);
    }

    [Fact]
    public async Task Free_and_basic_plans_have_overview_and_hourly_and_agents_and_trends_need_full_analytics()
    {
        foreach (var (plan, full) in new[] { ("free", false), ("basic", false), ("advanced", true), ("professional", true), ("enterprise", true) })
        {
            var s = await Scenario.SignUp(app.CreateClient(), plan);
            Assert.Equal(full, (await s.Owner.Get("/api/v1/billing/plan")).Data["analytics_enabled"]!.GetValue<bool>());
            foreach (var path in new[] { "/api/v1/analytics/overview", "/api/v1/analytics/hourly" })
                Assert.True((await s.Owner.Get(path)).Status == HttpStatusCode.OK, $"{plan}: GET {path}");
            Assert.Equal(HttpStatusCode.OK, (await s.Owner.Post("/api/v1/analytics/refresh-views")).Status);
            foreach (var (path, what) in new[] { ("/api/v1/analytics/agents", "Analytics by agent"), ("/api/v1/analytics/trends?period=week", "Trends") })
            {
                var answer = await s.Owner.Get(path);
                if (full)
                {
                    Assert.True(answer.Status == HttpStatusCode.OK, $"{plan}: GET {path}: {(int)answer.Status} {answer.Body}");
                    continue;
                }
                Assert.True(answer.Status == HttpStatusCode.Forbidden, $"{plan}: GET {path}: {(int)answer.Status} {answer.Body}");
                Assert.Equal($"{what} is part of the full analytics, which the {plan} plan does not include " +
                             "(plans with full analytics: advanced, professional, enterprise)", answer.Detail);
            }
        }
    }

    [Fact]
    public async Task Bad_query_parameters_are_refused_with_422_naming_the_field()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var own = await s.Department();
        var other = await Scenario.SignUp(app.CreateClient());
        var foreign = await other.Department();
        foreach (var route in new[] { "overview", "hourly", "agents", "trends" })
        {
            var defaultFrom = Today.AddDays(route == "hourly" ? -7 : -30);
            var cases = new (string Query, string Field, string Message)[]
            {
                ("date_from=yesterday", "date_from", "is invalid"),
                ("date_to=2026-13-01", "date_to", "is invalid"),
                ("date_from=2026-02-11&date_to=2026-02-10", "date_to", "can't be before date_from"),
                ("date_from=2026-02-10T12:00:00Z&date_to=2026-02-10T11:59:59Z", "date_to", "can't be before date_from"),
                ($"date_to={defaultFrom.AddDays(-1):yyyy-MM-dd}", "date_to", $"can't be before date_from (by default {defaultFrom:yyyy-MM-dd})"),
                ("department_id=sales", "department_id", "is invalid"),
                ($"department_id={foreign}", "department_id", "does not exist"),
                ($"department_id={Guid.NewGuid()}", "department_id", "does not exist"),
            };
            foreach (var (query, field, message) in cases)
            {
                var refused = await s.Owner.Get($"/api/v1/analytics/{route}?{query}");
                Assert.True(refused.Status == HttpStatusCode.UnprocessableEntity && refused.FieldErrors(field).SequenceEqual([message]),
                    $"GET {route}?{query}: expected 422 {field}: {message}, got {(int)refused.Status} {refused.Body}");
            }
        }
        // The same day twice is one day, not an empty range; the company's own department is accepted.
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Get($"/api/v1/analytics/overview?date_from=2026-02-10&date_to=2026-02-10&department_id={own}")).Status);

        foreach (var (query, field) in new[] { ("period=year", "period"), ("period=", ""), ("period=day&date_from=2020-01-01", "date_from"),
                     ("period=week&date_from=1990-01-01", "date_from"), ("period=month&date_from=1900-01-01", "date_from") })
        {
            var answer = await s.Owner.Get($"/api/v1/analytics/trends?{query}");
            if (field == "") Assert.Equal(HttpStatusCode.OK, answer.Status); // an empty value is the default
            else Assert.True(answer.Status == HttpStatusCode.UnprocessableEntity && answer.FieldErrors(field).Length == 1,
                $"GET trends?{query}: expected 422 on {field}, got {(int)answer.Status} {answer.Body}");
        }
        Assert.Equal(["is invalid"], (await s.Owner.Get("/api/v1/analytics/trends?period=year")).FieldErrors("period"));
        Assert.Equal(["is too far back: at most 1000 periods of a day"],
            (await s.Owner.Get("/api/v1/analytics/trends?period=day&date_from=2020-01-01")).FieldErrors("date_from"));
        // The widest ranges the parser takes are answered, not failed.
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Get("/api/v1/analytics/overview?date_from=0001-01-01&date_to=9999-12-31")).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Get("/api/v1/analytics/trends?period=month&date_from=9990-01-01&date_to=9999-12-31")).Status);
    }

    [Fact]
    public async Task The_openapi_document_describes_every_analytics_route()
    {
        var document = JsonNode.Parse(await app.CreateClient().GetStringAsync("/openapi/v1.json"))!;
        foreach (var (method, path, words) in new[]
        {
            ("get", "/api/v1/analytics/overview", new[] { "completion_rate", "satisfaction_rate", "UTC", "materialized views" }),
            ("get", "/api/v1/analytics/hourly", ["hour", "UTC"]),
            ("get", "/api/v1/analytics/agents", ["advanced", "403", "online_time"]),
            ("get", "/api/v1/analytics/trends", ["day|week|month", "Monday", "403"]),
            ("post", "/api/v1/analytics/refresh-views", ["CONCURRENTLY", "covers_until"]),
            ("get", "/api/v1/call/{token}/validate", ["online_agents", "estimated_wait_time = ceil"]),
        })
        {
            var operation = document["paths"]![path]?[method];
            Assert.True(operation is not null, $"{method} {path} is not in the OpenAPI document");
            var text = $"{operation["summary"]} {operation["description"]}";
            foreach (var word in words) Assert.True(text.Contains(word), $"{method} {path}: \"{word}\" is not in: {text}");
        }
        var overview = document["components"]!["schemas"]!["AnalyticsOverview"]!["properties"]!.AsObject();
        Assert.Equal(["total_calls", "completed_calls", "missed_calls", "cancelled_calls", "avg_duration", "avg_wait_time", "avg_rating",
            "total_customers", "new_customers", "completion_rate", "satisfaction_rate"], overview.Select(p => p.Key));
        Assert.Equal(["user_id", "user_name", "total_calls", "completed_calls", "avg_duration", "avg_rating"],
            document["components"]!["schemas"]!["AgentRow"]!["properties"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["date", "total", "completed", "missed", "avg_wait_time"],
            document["components"]!["schemas"]!["TrendPoint"]!["properties"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["hour", "total", "completed", "missed"],
            document["components"]!["schemas"]!["HourlyPoint"]!["properties"]!.AsObject().Select(p => p.Key));
    }

    private static int Avg(int sum, int count) => (int)Math.Round((double)sum / count, MidpointRounding.AwayFromZero);

    private static DateTime Monday(DateTime day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));

    private static async Task<JsonNode> Overview(World w, string query) => await Get(w, "overview", query);
    private static async Task<JsonNode> Hourly(World w, string query) => await Get(w, "hourly", query);
    private static async Task<JsonNode> Agents(World w, string query) => await Get(w, "agents", query);
    private static async Task<JsonNode> Trends(World w, string query) => await Get(w, "trends", query);

    private static async Task<JsonNode> Get(World w, string route, string query)
    {
        var answer = await w.Manager.Get($"/api/v1/analytics/{route}{query}");
        Assert.True(answer.Status == HttpStatusCode.OK, $"GET {route}{query}: {(int)answer.Status} {answer.Body}");
        return answer.Data;
    }

    private static void AssertOverview(JsonNode o, int total, int completed, int missed, int cancelled, int? avgDuration, int? avgWait, double? avgRating,
        int customers, int newCustomers, double? completionRate, double? satisfactionRate)
    {
        var expected = new JsonObject
        {
            ["total_calls"] = total, ["completed_calls"] = completed, ["missed_calls"] = missed, ["cancelled_calls"] = cancelled,
            ["avg_duration"] = avgDuration, ["avg_wait_time"] = avgWait, ["avg_rating"] = avgRating, ["total_customers"] = customers,
            ["new_customers"] = newCustomers, ["completion_rate"] = completionRate, ["satisfaction_rate"] = satisfactionRate,
        };
        Assert.Equal(expected.ToJsonString(), o.ToJsonString());
    }

    private static void AssertHours(JsonNode hours, Dictionary<int, (int Total, int Completed, int Missed)> expected)
    {
        var items = hours.AsArray();
        Assert.Equal(Enumerable.Range(0, 24), items.Select(h => h!["hour"]!.GetValue<int>()));
        foreach (var item in items)
        {
            var (total, completed, missed) = expected.GetValueOrDefault(item!["hour"]!.GetValue<int>());
            Assert.Equal(new JsonObject { ["hour"] = item["hour"]!.GetValue<int>(), ["total"] = total, ["completed"] = completed, ["missed"] = missed }.ToJsonString(),
                item.ToJsonString());
        }
    }

    private static void AssertAgents(JsonNode agents, params (string Id, string Name, int Total, int Completed, int AvgDuration, double AvgRating)[] expected) =>
        Assert.Equal(new JsonArray(expected.Select(e => (JsonNode)new JsonObject
        {
            ["user_id"] = e.Id, ["user_name"] = e.Name, ["total_calls"] = e.Total, ["completed_calls"] = e.Completed,
            ["avg_duration"] = e.AvgDuration, ["avg_rating"] = e.AvgRating,
        }).ToArray()).ToJsonString(), agents.ToJsonString());

    private static void AssertPoints(JsonArray points, Dictionary<string, (int Total, int Completed, int Missed, int? AvgWait)> expected)
    {
        Assert.Equal(points.Select(p => p!["date"]!.GetValue<string>()).Order(StringComparer.Ordinal), points.Select(p => p!["date"]!.GetValue<string>()));
        Assert.Superset(expected.Keys.ToHashSet(), points.Select(p => p!["date"]!.GetValue<string>()).ToHashSet());
        foreach (var point in points)
        {
            var date = point!["date"]!.GetValue<string>();
            var (total, completed, missed, wait) = expected.GetValueOrDefault(date);
            Assert.Equal(new JsonObject { ["date"] = date, ["total"] = total, ["completed"] = completed, ["missed"] = missed, ["avg_wait_time"] = wait }.ToJsonString(),
                point.ToJsonString());
        }
    }

    private sealed record Seed(Guid Id, string Department, string? User, string Status, DateTime At, int? Wait, int? Duration, int? Rating, Guid Customer);

    private sealed record LiveCall(string Id, DateTime InsertedAt, bool Completed, int Wait, int Duration);

    /// <summary>
    /// A professional tenant with Sales and Support, attendants Ana and Bruno (both in both) and a manager. D is a Monday
    /// 10 to 16 days back (inside the 30-day default, outside the 7-day one). Written into the read model:
    /// <code>
    /// call  department  attendant  status     created          wait  duration  rating  customer
    /// c1    Sales       Ana        completed  D 09:10           20     300      5       X
    /// c2    Sales       Ana        completed  D 09:40           40     100      3       Y
    /// c3    Sales       Bruno      completed  D 14:05           30     200      4       X
    /// c4    Sales       –          missed     D 14:30           –      –        –       Z
    /// c5    Support     –          cancelled  D+1 09:20         –      –        –       W
    /// c6    Support     Bruno      completed  D+1 09:50         60     400      4       Y
    /// c7    Sales       Ana        completed  D−35 10:00        10      50      1       X
    /// </code>
    /// Customers X and W were created 60 days ago, Y at D 09:00, Z at D 14:00. Today, through the product: p1, Carla in Sales,
    /// started and completed by Ana and rated 5; p2, Davi in Support, still queued (both new customers).
    /// </summary>
    private sealed class World
    {
        public required VokiApp App { get; init; }
        public required Scenario Scenario { get; init; }
        public required ApiClient Manager { get; init; }
        public required string Sales { get; init; }
        public required string Support { get; init; }
        public required string Ana { get; init; }
        public required string Bruno { get; init; }
        public required DateTime D { get; init; }
        public required Seed[] Seeded { get; init; }
        public required LiveCall[] Live { get; init; }
        public ApiClient Owner => Scenario.Owner;

        public async Task Refresh()
        {
            var refreshed = await Owner.Post("/api/v1/analytics/refresh-views");
            Assert.True(refreshed.Status == HttpStatusCode.OK && refreshed.Data["refreshed"]!.GetValue<bool>(), $"refresh-views: {refreshed.Body}");
        }

        public async Task Sql(string sql, params (string Name, object Value)[] parameters)
        {
            await using var db = new NpgsqlConnection(App.ConnectionString);
            await db.OpenAsync();
            await using var cmd = new NpgsqlCommand(sql, db);
            cmd.Parameters.AddWithValue("tenant", Scenario.Tenant);
            foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
            await cmd.ExecuteNonQueryAsync();
        }

        public static async Task<World> Build(VokiApp app)
        {
            var s = await Scenario.SignUp(app.CreateClient());
            var sales = await s.Department(new { name = "Sales" });
            var support = await s.Department(new { name = "Support" });
            var ana = await s.SignIn("attendant", sales, name: "Ana Atendente");
            var bruno = await s.SignIn("attendant", sales, name: "Bruno Atendente");
            foreach (var member in new[] { ana.Id, bruno.Id })
                Assert.Equal(HttpStatusCode.Created, (await s.Owner.Post($"/api/v1/departments/{support}/users", new { user_id = member })).Status);
            var (manager, _) = await s.Staff("manager");

            var d = Monday(Today.AddDays(-10));
            var (x, y, z, wCustomer) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
            Seed[] seeded =
            [
                new(Guid.NewGuid(), sales, ana.Id, "completed", d.AddHours(9).AddMinutes(10), 20, 300, 5, x),
                new(Guid.NewGuid(), sales, ana.Id, "completed", d.AddHours(9).AddMinutes(40), 40, 100, 3, y),
                new(Guid.NewGuid(), sales, bruno.Id, "completed", d.AddHours(14).AddMinutes(5), 30, 200, 4, x),
                new(Guid.NewGuid(), sales, null, "missed", d.AddHours(14).AddMinutes(30), null, null, null, z),
                new(Guid.NewGuid(), support, null, "cancelled", d.AddDays(1).AddHours(9).AddMinutes(20), null, null, null, wCustomer),
                new(Guid.NewGuid(), support, bruno.Id, "completed", d.AddDays(1).AddHours(9).AddMinutes(50), 60, 400, 4, y),
                new(Guid.NewGuid(), sales, ana.Id, "completed", d.AddDays(-35).AddHours(10), 10, 50, 1, x),
            ];
            var world = new World
            {
                App = app, Scenario = s, Manager = manager, Sales = sales, Support = support, Ana = ana.Id, Bruno = bruno.Id, D = d,
                Seeded = seeded, Live = [],
            };
            foreach (var (id, name, created) in new[] { (x, "Xavier", Today.AddDays(-60)), (y, "Yara", d.AddHours(9)), (z, "Zeca", d.AddHours(14)), (wCustomer, "Wanda", Today.AddDays(-60)) })
                await world.Sql("INSERT INTO customers (tenant, id, name, email, inserted_at, updated_at) VALUES (@tenant, @id, @name, @email, @at, @at)",
                    ("id", id), ("name", name), ("email", $"{name.ToLowerInvariant()}@example.com"), ("at", created));
            foreach (var c in seeded)
                await world.Sql("""
                    INSERT INTO calls (tenant, id, status, protocol, department_id, user_id, customer_name, customer_id, wait_time, duration, rating,
                                       started_at, completed_at, inserted_at, updated_at)
                    VALUES (@tenant, @id, @status, 'P-' || @id, @department, @user, 'Seeded', @customer, @wait, @duration, @rating,
                            @at + make_interval(secs => coalesce(@wait, 0)), @at + make_interval(secs => coalesce(@wait, 0) + coalesce(@duration, 0)), @at, @at)
                    """, ("id", c.Id), ("status", c.Status), ("department", Guid.Parse(c.Department)),
                    ("user", c.User is null ? DBNull.Value : Guid.Parse(c.User)), ("customer", c.Customer), ("wait", (object?)c.Wait ?? DBNull.Value),
                    ("duration", (object?)c.Duration ?? DBNull.Value), ("rating", (object?)c.Rating ?? DBNull.Value), ("at", c.At));

            var carla = await Join(s, sales, "Carla", "carla@example.com");
            var p1 = carla["call_id"]!.GetValue<string>();
            Assert.Equal(HttpStatusCode.OK, (await ana.Client.Post($"/api/v1/calls/{p1}/start")).Status);
            Assert.Equal(HttpStatusCode.OK, (await ana.Client.Post($"/api/v1/calls/{p1}/complete", new { })).Status);
            var rated = await s.Anonymous.As(carla["websocket_token"]!.GetValue<string>(), null).Post($"/api/v1/call/evaluate/{p1}", new { rating = 5 });
            Assert.Equal(HttpStatusCode.OK, rated.Status);
            var p2 = (await Join(s, support, "Davi", "davi@example.com"))["call_id"]!.GetValue<string>();
            var live = new List<LiveCall>();
            foreach (var id in new[] { p1, p2 })
            {
                var call = (await s.Owner.Get($"/api/v1/calls/{id}")).Data;
                live.Add(new LiveCall(id, call["inserted_at"]!.GetValue<DateTime>().ToUniversalTime(), call["status"]!.GetValue<string>() == "completed",
                    call["wait_time"]?.GetValue<int>() ?? 0, call["duration"]?.GetValue<int>() ?? 0));
            }
            return new World
            {
                App = app, Scenario = s, Manager = manager, Sales = sales, Support = support, Ana = ana.Id, Bruno = bruno.Id, D = d,
                Seeded = seeded, Live = [.. live],
            };
        }

        private static async Task<JsonNode> Join(Scenario s, string department, string name, string email)
        {
            var link = await s.Link(department);
            var joined = await s.Anonymous.Post($"/api/v1/call/{link["token"]}/join", new { name, email });
            Assert.Equal(HttpStatusCode.OK, joined.Status);
            return joined.Data;
        }
    }
}
