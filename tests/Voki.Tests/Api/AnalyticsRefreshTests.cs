using System.Net;
using Npgsql;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>A node that refreshes the analytics views on its own every 2 seconds.</summary>
public sealed class RefreshingAnalyticsApp : VokiApp
{
    protected override IDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["Analytics:RefreshInterval"] = "00:00:02",
        ["Analytics:MinRefreshInterval"] = "00:01:00",
    };
}

/// <summary>Nobody needs to ask for a refresh: the node keeps the views at most Analytics:RefreshInterval old.</summary>
public sealed class AnalyticsRefreshTests(RefreshingAnalyticsApp app) : IClassFixture<RefreshingAnalyticsApp>
{
    [Fact]
    public async Task An_earlier_days_call_reaches_the_views_without_anyone_asking()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var yesterday = DateTime.UtcNow.Date.AddDays(-1).AddHours(10);
        await using (var db = new NpgsqlConnection(app.ConnectionString))
        {
            await db.OpenAsync();
            // What a call created yesterday and completed since leaves in the read model, written after the last refresh.
            await using var insert = new NpgsqlCommand("""
                INSERT INTO calls (tenant, id, status, protocol, department_id, customer_name, wait_time, duration, rating, started_at, completed_at, inserted_at, updated_at)
                VALUES ($1, gen_random_uuid(), 'completed', 'R-1', $2, 'Yesterday', 15, 240, 5, $3, $3, $3, now())
                """, db);
            insert.Parameters.AddWithValue(s.Tenant);
            insert.Parameters.AddWithValue(Guid.Parse(department));
            insert.Parameters.AddWithValue(yesterday);
            await insert.ExecuteNonQueryAsync();
        }
        var path = $"/api/v1/analytics/overview?date_from={yesterday:yyyy-MM-dd}&date_to={yesterday:yyyy-MM-dd}";
        await Eventually.Holds(async () => (await s.Owner.Get(path)).Data["total_calls"]!.GetValue<int>() == 1, TimeSpan.FromSeconds(30),
            "the background refresh bringing yesterday's call into the views");
        var overview = (await s.Owner.Get(path)).Data;
        Assert.Equal((1, 240, 15, 5.0), (overview["completed_calls"]!.GetValue<int>(), overview["avg_duration"]!.GetValue<int>(),
            overview["avg_wait_time"]!.GetValue<int>(), overview["avg_rating"]!.GetValue<double>()));

        // A refresh asked for within the minimum interval of the node's own returns that one.
        var asked = await s.Owner.Post("/api/v1/analytics/refresh-views");
        Assert.Equal(HttpStatusCode.OK, asked.Status);
        Assert.False(asked.Data["refreshed"]!.GetValue<bool>());
    }
}
