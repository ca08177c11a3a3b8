using System.Data;
using Npgsql;

namespace Voki.Grains.ReadModel;

/// <summary>A half-open range of call creation times [From, To) in UTC, optionally one department's calls only.</summary>
public sealed record AnalyticsRange(DateTime From, DateTime To, Guid? DepartmentId);

/// <summary>Sums and counts of a set of calls, from which every average and rate is derived.</summary>
public sealed record CallFigures(
    long Total, long Completed, long Missed, long Cancelled, long DurationSum, long DurationCount,
    long WaitSum, long WaitCount, long RatingSum, long RatingCount, long SatisfiedCount)
{
    public static CallFigures None { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

public sealed record CustomerFigures(long Total, long New);

public sealed record AgentFigures(
    Guid UserId, string? UserName, long Total, long Completed, long DurationSum, long DurationCount, long RatingSum, long RatingCount);

/// <summary>What the views hold: every call created before <see cref="CoversUntil"/>, as it stood at <see cref="RefreshedAt"/>.</summary>
public sealed record AnalyticsViewState(DateTime CoversUntil, DateTime RefreshedAt, bool RefreshedNow);

/// <summary>
/// Reads analytics from the materialized views (migration 0021) plus the calls the views do not hold: those created
/// since the views' cut-off and those in the partial hours or days at a range's edges. Both parts are read in one
/// repeatable-read snapshot, so a refresh committing in between can neither drop nor double a call.
/// </summary>
public sealed class AnalyticsRows(NpgsqlDataSource db)
{
    public static readonly string[] Views =
        ["analytics_calls_hourly", "analytics_agents_daily", "analytics_customer_spans", "analytics_department_customer_spans"];

    private const string HourlySums = """
        sum(total)::bigint AS total, sum(completed)::bigint AS completed, sum(missed)::bigint AS missed, sum(cancelled)::bigint AS cancelled,
        sum(duration_sum)::bigint AS duration_sum, sum(duration_count)::bigint AS duration_count, sum(wait_sum)::bigint AS wait_sum,
        sum(wait_count)::bigint AS wait_count, sum(rating_sum)::bigint AS rating_sum, sum(rating_count)::bigint AS rating_count,
        sum(satisfied_count)::bigint AS satisfied_count
        """;

    private const string LiveHourlySums = """
        count(*) AS total, count(*) FILTER (WHERE status = 'completed') AS completed, count(*) FILTER (WHERE status = 'missed') AS missed,
        count(*) FILTER (WHERE status = 'cancelled') AS cancelled, coalesce(sum(duration) FILTER (WHERE status = 'completed'), 0) AS duration_sum,
        count(duration) FILTER (WHERE status = 'completed') AS duration_count, coalesce(sum(wait_time), 0) AS wait_sum, count(wait_time) AS wait_count,
        coalesce(sum(rating), 0) AS rating_sum, count(rating) AS rating_count, count(*) FILTER (WHERE rating >= 4) AS satisfied_count
        """;

    /// <summary>The calls of the range per UTC hour of creation, each hour from the view or live.</summary>
    private static string HourlyBuckets(AnalyticsRange range) => $"""
        buckets AS (
            SELECT hour AS bucket, total, completed, missed, cancelled, duration_sum, duration_count, wait_sum, wait_count,
                   rating_sum, rating_count, satisfied_count
            FROM analytics_calls_hourly
            WHERE tenant = @tenant AND hour >= @view_from AND hour < @view_to{Department(range, "department_id")}
            UNION ALL
            SELECT date_trunc('hour', inserted_at, 'UTC'), {LiveHourlySums}
            FROM calls
            WHERE tenant = @tenant{Department(range, "department_id")} AND {LiveRanges}
            GROUP BY 1
        )
        """;

    private const string LiveRanges =
        "((inserted_at >= @live1_from AND inserted_at < @live1_to) OR (inserted_at >= @live2_from AND inserted_at < @live2_to))";

    private static string Department(AnalyticsRange range, string column) => range.DepartmentId is null ? "" : $" AND {column} = @department";

    public async Task<(CallFigures Calls, CustomerFigures Customers)> OverviewAsync(string tenant, AnalyticsRange range)
    {
        return await InSnapshot(async (connection, tx, coversUntil) =>
        {
            CallFigures calls;
            await using (var cmd = Command(connection, tx, $"WITH {HourlyBuckets(range)} SELECT {HourlySums} FROM buckets", tenant, range, coversUntil, TimeSpan.FromHours(1)))
            await using (var reader = await cmd.ExecuteReaderAsync())
                calls = await reader.ReadAsync() ? Figures(reader) : CallFigures.None;

            // The customers of the range: from the spans view, those whose first or last call before the cut-off is in the
            // range, or whose calls span it and who have one in it (each a row of its own, so counted as they are read);
            // then those of the calls since the cut-off that the view's part has not counted already.
            var spans = range.DepartmentId is null ? "analytics_customer_spans" : "analytics_department_customer_spans";
            string CalledInRange(string s) => $"""
                {s}.tenant = @tenant{Department(range, s + ".department_id")} AND {s}.last_call_at >= @from AND {s}.first_call_at < @to
                AND ({s}.first_call_at >= @from OR {s}.last_call_at < @to
                     OR EXISTS (SELECT 1 FROM calls c WHERE c.tenant = @tenant AND c.customer_id = {s}.customer_id
                                  AND c.inserted_at >= @from AND c.inserted_at < @to{Department(range, "c.department_id")}))
                """;
            await using var customers = new NpgsqlCommand($"""
                WITH viewed AS (
                    SELECT count(*) AS total, count(*) FILTER (WHERE s.created_at >= @from AND s.created_at < @to) AS new
                    FROM {spans} s WHERE {CalledInRange("s")}
                ),
                later AS (
                    SELECT count(*) AS total, count(*) FILTER (WHERE cu.inserted_at >= @from AND cu.inserted_at < @to) AS new
                    FROM (SELECT DISTINCT customer_id FROM calls
                          WHERE tenant = @tenant{Department(range, "department_id")} AND customer_id IS NOT NULL
                            AND inserted_at >= @live_from AND inserted_at < @to) l
                    LEFT JOIN customers cu ON cu.tenant = @tenant AND cu.id = l.customer_id
                    WHERE NOT EXISTS (SELECT 1 FROM {spans} v WHERE v.customer_id = l.customer_id AND {CalledInRange("v")})
                )
                SELECT viewed.total + later.total, viewed.new + later.new FROM viewed, later
                """, connection, tx);
            customers.Parameters.AddWithValue("tenant", tenant);
            customers.Parameters.AddWithValue("from", range.From);
            customers.Parameters.AddWithValue("to", range.To);
            customers.Parameters.AddWithValue("live_from", range.From > coversUntil ? range.From : coversUntil);
            if (range.DepartmentId is { } department) customers.Parameters.AddWithValue("department", department);
            await using var counts = await customers.ExecuteReaderAsync();
            await counts.ReadAsync();
            return (calls, new CustomerFigures(counts.GetInt64(0), counts.GetInt64(1)));
        });
    }

    /// <summary>Figures per UTC hour of the day (0–23), only hours with calls.</summary>
    public Task<Dictionary<int, CallFigures>> HourlyAsync(string tenant, AnalyticsRange range) =>
        InSnapshot(async (connection, tx, coversUntil) =>
        {
            await using var cmd = Command(connection, tx,
                $"WITH {HourlyBuckets(range)} SELECT extract(hour FROM bucket AT TIME ZONE 'UTC')::int AS key, {HourlySums} FROM buckets GROUP BY 1",
                tenant, range, coversUntil, TimeSpan.FromHours(1));
            var result = new Dictionary<int, CallFigures>();
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) result[reader.GetInt32(0)] = Figures(reader);
            return result;
        });

    /// <summary>Figures per period (day, week from Monday, month) by the period's first instant in UTC, only periods with calls.</summary>
    public Task<Dictionary<DateTime, CallFigures>> TrendsAsync(string tenant, AnalyticsRange range, string period) =>
        InSnapshot(async (connection, tx, coversUntil) =>
        {
            await using var cmd = Command(connection, tx,
                $"WITH {HourlyBuckets(range)} SELECT date_trunc(@period, bucket, 'UTC') AS key, {HourlySums} FROM buckets GROUP BY 1",
                tenant, range, coversUntil, TimeSpan.FromHours(1));
            cmd.Parameters.AddWithValue("period", period);
            var result = new Dictionary<DateTime, CallFigures>();
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) result[reader.GetFieldValue<DateTime>(0)] = Figures(reader);
            return result;
        });

    /// <summary>Every member who had calls of the range, most calls first.</summary>
    public Task<List<AgentFigures>> AgentsAsync(string tenant, AnalyticsRange range) =>
        InSnapshot(async (connection, tx, coversUntil) =>
        {
            await using var cmd = Command(connection, tx, $"""
                WITH buckets AS (
                    SELECT user_id, total, completed, duration_sum, duration_count, rating_sum, rating_count
                    FROM analytics_agents_daily
                    WHERE tenant = @tenant AND day >= @view_from AND day < @view_to{Department(range, "department_id")}
                    UNION ALL
                    SELECT user_id, count(*), count(*) FILTER (WHERE status = 'completed'),
                           coalesce(sum(duration) FILTER (WHERE status = 'completed'), 0), count(duration) FILTER (WHERE status = 'completed'),
                           coalesce(sum(rating), 0), count(rating)
                    FROM calls
                    WHERE tenant = @tenant AND user_id IS NOT NULL{Department(range, "department_id")} AND {LiveRanges}
                    GROUP BY user_id
                )
                SELECT b.user_id, u.name AS user_name, sum(total)::bigint AS total, sum(completed)::bigint AS completed,
                       sum(duration_sum)::bigint AS duration_sum, sum(duration_count)::bigint AS duration_count,
                       sum(rating_sum)::bigint AS rating_sum, sum(rating_count)::bigint AS rating_count
                FROM buckets b LEFT JOIN users u ON u.tenant = @tenant AND u.id = b.user_id
                GROUP BY b.user_id, u.name
                ORDER BY total DESC, u.name, b.user_id
                """, tenant, range, coversUntil, TimeSpan.FromDays(1));
            var result = new List<AgentFigures>();
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                result.Add(new AgentFigures(reader.Get<Guid>("user_id"), reader.Text("user_name"), reader.Get<long>("total"), reader.Get<long>("completed"),
                    reader.Get<long>("duration_sum"), reader.Get<long>("duration_count"), reader.Get<long>("rating_sum"), reader.Get<long>("rating_count")));
            return result;
        });

    /// <summary>
    /// REFRESH MATERIALIZED VIEW CONCURRENTLY (readers keep reading the old rows meanwhile) for every view, with the cut-off
    /// moved to the start of the current UTC day, in one transaction. Refreshes take turns on the cut-off's row; one that
    /// finds a refresh younger than <paramref name="minInterval"/> (one it waited for, say) leaves the views as they are.
    /// </summary>
    public async Task<AnalyticsViewState> RefreshAsync(TimeSpan minInterval, CancellationToken cancellation = default)
    {
        await using var connection = await db.OpenConnectionAsync(cancellation);
        await using var tx = await connection.BeginTransactionAsync(cancellation);
        await using (var current = new NpgsqlCommand(
            "SELECT covers_until, refreshed_at, clock_timestamp() - refreshed_at < @min FROM analytics_refreshes FOR UPDATE", connection, tx))
        {
            current.Parameters.AddWithValue("min", minInterval);
            await using var reader = await current.ExecuteReaderAsync(cancellation);
            await reader.ReadAsync(cancellation);
            if (reader.GetBoolean(2))
            {
                var state = new AnalyticsViewState(reader.GetFieldValue<DateTime>(0), reader.GetFieldValue<DateTime>(1), RefreshedNow: false);
                await reader.CloseAsync();
                await tx.CommitAsync(cancellation);
                return state;
            }
        }
        AnalyticsViewState refreshed;
        await using (var move = new NpgsqlCommand("""
            UPDATE analytics_refreshes SET covers_until = date_trunc('day', clock_timestamp() - interval '5 minutes', 'UTC'), refreshed_at = clock_timestamp()
            RETURNING covers_until, refreshed_at
            """, connection, tx))
        await using (var reader = await move.ExecuteReaderAsync(cancellation))
        {
            await reader.ReadAsync(cancellation);
            refreshed = new AnalyticsViewState(reader.GetFieldValue<DateTime>(0), reader.GetFieldValue<DateTime>(1), RefreshedNow: true);
        }
        foreach (var view in Views)
        {
            // A refresh reads every tenant's calls: far longer than a query may usually take.
            await using var refresh = new NpgsqlCommand($"REFRESH MATERIALIZED VIEW CONCURRENTLY {view}", connection, tx) { CommandTimeout = 3600 };
            await refresh.ExecuteNonQueryAsync(cancellation);
        }
        await tx.CommitAsync(cancellation);
        return refreshed;
    }

    public async Task<AnalyticsViewState> StateAsync()
    {
        await using var cmd = db.CreateCommand("SELECT covers_until, refreshed_at FROM analytics_refreshes");
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new AnalyticsViewState(reader.GetFieldValue<DateTime>(0), reader.GetFieldValue<DateTime>(1), RefreshedNow: false);
    }

    private async Task<T> InSnapshot<T>(Func<NpgsqlConnection, NpgsqlTransaction, DateTime, Task<T>> read)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead);
        // These queries run in tens of milliseconds, but their estimates (a hashed subplan over calls) exceed the JIT threshold,
        // and compiling them took longer than running them; the distinct customers of a year (~170,000 of a busy tenant)
        // would spill to disk with the default 4 MB.
        await using (var settings = new NpgsqlCommand("SET LOCAL jit = off; SET LOCAL work_mem = '32MB'", connection, tx))
            await settings.ExecuteNonQueryAsync();
        DateTime coversUntil;
        await using (var cut = new NpgsqlCommand("SELECT covers_until FROM analytics_refreshes", connection, tx))
            coversUntil = (DateTime)(await cut.ExecuteScalarAsync())!;
        var result = await read(connection, tx, coversUntil);
        await tx.CommitAsync();
        return result;
    }

    /// <summary>
    /// Binds the range: the view answers for the whole buckets (hours or days) inside it that were created before the
    /// cut-off; everything else in the range (at most two stretches: the partial bucket at the start, and from the end of
    /// the view's part to the range's end) is read live.
    /// </summary>
    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, string tenant, AnalyticsRange range,
        DateTime coversUntil, TimeSpan bucket)
    {
        var (from, to) = (range.From, range.To);
        var viewFrom = Ceiling(from, bucket);
        var viewTo = Min(Floor(to, bucket), coversUntil);
        var cmd = new NpgsqlCommand(sql, connection, tx);
        var p = cmd.Parameters;
        p.AddWithValue("tenant", tenant);
        if (range.DepartmentId is { } department) p.AddWithValue("department", department);
        if (viewTo > viewFrom)
        {
            p.AddWithValue("view_from", viewFrom); p.AddWithValue("view_to", viewTo);
            p.AddWithValue("live1_from", from); p.AddWithValue("live1_to", viewFrom);
            p.AddWithValue("live2_from", viewTo); p.AddWithValue("live2_to", to);
        }
        else
        {
            p.AddWithValue("view_from", from); p.AddWithValue("view_to", from);
            p.AddWithValue("live1_from", from); p.AddWithValue("live1_to", to);
            p.AddWithValue("live2_from", from); p.AddWithValue("live2_to", from);
        }
        return cmd;
    }

    private static DateTime Floor(DateTime t, TimeSpan bucket) => new(t.Ticks - t.Ticks % bucket.Ticks, DateTimeKind.Utc);

    private static DateTime Ceiling(DateTime t, TimeSpan bucket)
    {
        var floor = Floor(t, bucket);
        if (floor == t) return t;
        return DateTime.MaxValue.Ticks - floor.Ticks < bucket.Ticks ? DateTime.MaxValue : floor + bucket;
    }

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;

    private static CallFigures Figures(NpgsqlDataReader r) => r.IsDBNull(r.GetOrdinal("total")) ? CallFigures.None : new(
        r.Get<long>("total"), r.Get<long>("completed"), r.Get<long>("missed"), r.Get<long>("cancelled"), r.Get<long>("duration_sum"),
        r.Get<long>("duration_count"), r.Get<long>("wait_sum"), r.Get<long>("wait_count"), r.Get<long>("rating_sum"), r.Get<long>("rating_count"),
        r.Get<long>("satisfied_count"));
}
