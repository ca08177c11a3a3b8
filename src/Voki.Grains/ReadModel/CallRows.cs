using Npgsql;
using Voki.Grains.Model;
using Voki.Grains.Webhooks;

namespace Voki.Grains.ReadModel;

public sealed record CallFilter(
    string? Status, Guid? DepartmentId, Guid? UserId, DateTime? From, DateTime? To, string? Search,
    /// <summary>For attendants: only calls of these departments or assigned to <see cref="VisibleToUser"/>.</summary>
    Guid[]? VisibleDepartments = null, Guid? VisibleToUser = null,
    /// <summary>Only calls carrying this tag.</summary>
    Guid? TagId = null,
    /// <summary>Only calls with this customer (their history).</summary>
    Guid? CustomerId = null);

public sealed class CallRows(NpgsqlDataSource db, WebhookOutbox outbox, CallObjects objects)
{
    private const string Columns = "c.id, c.status, c.protocol, c.department_id, COALESCE(d.name, c.department_name) AS department_name, c.user_id, " +
        "COALESCE(u.name, c.user_name) AS user_name, c.customer_name, c.customer_email, c.customer_phone, c.reason, c.access_link_id, c.wait_time, " +
        "c.duration, c.rating, c.rating_comment, c.notes, c.has_recording, c.recording_status, c.assigned_at, c.started_at, c.completed_at, " +
        "c.inserted_at, c.updated_at, c.customer_id";
    private const string From = "calls c LEFT JOIN departments d ON d.tenant = c.tenant AND d.id = c.department_id " +
        "LEFT JOIN users u ON u.tenant = c.tenant AND u.id = c.user_id";

    /// <summary>Writes the call's row, and the webhook events of the change in the same transaction.</summary>
    public async Task UpsertAsync(string tenant, Call c, IReadOnlyList<WebhookEvent>? events = null) =>
        await outbox.WriteAsync(tenant, await WithCallObject(tenant, c, events), (connection, tx) => UpsertAsync(connection, tx, tenant, c));

    /// <summary>The events' data is the call object of GET /api/v1/calls/:id, tags and manager notes included.</summary>
    private async Task<IReadOnlyList<WebhookEvent>> WithCallObject(string tenant, Call c, IReadOnlyList<WebhookEvent>? events)
    {
        if (events is not { Count: > 0 }) return WebhookEvent.None;
        var view = (await objects.ManyAsync(tenant, [c]))[0];
        return events.Select(e => e with { Data = view }).ToList();
    }

    private static async Task UpsertAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string tenant, Call c)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO calls (tenant, id, status, protocol, department_id, department_name, user_id, user_name, customer_name, customer_email,
                               customer_phone, reason, access_link_id, wait_time, duration, rating, rating_comment, notes, has_recording,
                               recording_status, assigned_at, started_at, completed_at, inserted_at, updated_at, customer_id)
            VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26)
            ON CONFLICT (tenant, id) DO UPDATE SET status = EXCLUDED.status, user_id = EXCLUDED.user_id, user_name = EXCLUDED.user_name,
              wait_time = EXCLUDED.wait_time, duration = EXCLUDED.duration, rating = EXCLUDED.rating, rating_comment = EXCLUDED.rating_comment,
              notes = EXCLUDED.notes, has_recording = EXCLUDED.has_recording, recording_status = EXCLUDED.recording_status,
              assigned_at = EXCLUDED.assigned_at, started_at = EXCLUDED.started_at, completed_at = EXCLUDED.completed_at,
              updated_at = EXCLUDED.updated_at
            """, connection, tx);
        var p = cmd.Parameters;
        p.AddWithValue(tenant); p.AddWithValue(c.Id); p.AddWithValue(c.Status); p.AddWithValue(c.Protocol);
        p.AddWithValue(c.DepartmentId); p.AddWithValue(c.DepartmentName.Db()); p.AddWithValue(c.UserId.Db()); p.AddWithValue(c.UserName.Db());
        p.AddWithValue(c.CustomerName); p.AddWithValue(c.CustomerEmail.Db()); p.AddWithValue(c.CustomerPhone.Db()); p.AddWithValue(c.Reason.Db());
        p.AddWithValue(c.AccessLinkId.Db()); p.AddWithValue(c.WaitTime.Db()); p.AddWithValue(c.Duration.Db()); p.AddWithValue(c.Rating.Db());
        p.AddWithValue(c.RatingComment.Db()); p.AddWithValue(c.Notes.Db()); p.AddWithValue(c.HasRecording); p.AddWithValue(c.RecordingStatus);
        p.AddWithValue(c.AssignedAt.Db()); p.AddWithValue(c.StartedAt.Db()); p.AddWithValue(c.CompletedAt.Db());
        p.AddWithValue(c.InsertedAt); p.AddWithValue(c.UpdatedAt);
        // Written once, by the join: afterwards only a customer merge or delete moves it, in the database first.
        p.Add(new NpgsqlParameter { Value = c.CustomerId.Db(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Writes an assignment or a start only while the tenant is under its concurrent-call limit, counting every
    /// other call with media: active, or queued and assigned. The advisory lock serialises these writes of one
    /// tenant across every node, so two of them cannot both take the last slot. The change's webhook events commit with it.
    /// </summary>
    public async Task<bool> TryTakeAsync(string tenant, Call taken, int? maxConcurrent, IReadOnlyList<WebhookEvent>? events = null)
    {
        events = await WithCallObject(tenant, taken, events);
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext($1))", connection, tx))
        {
            lockCmd.Parameters.AddWithValue("active-calls:" + tenant);
            await lockCmd.ExecuteNonQueryAsync();
        }
        if (maxConcurrent is { } limit)
        {
            await using var count = new NpgsqlCommand("SELECT count(*) FROM calls WHERE tenant = $1 AND id <> $2 AND (status = 'active' OR (status = 'queued' AND user_id IS NOT NULL))", connection, tx);
            count.Parameters.AddWithValue(tenant);
            count.Parameters.AddWithValue(taken.Id);
            if ((long)(await count.ExecuteScalarAsync())! >= limit) return false;
        }
        await using (var update = new NpgsqlCommand(
            "UPDATE calls SET status = $3, user_id = $4, user_name = $5, assigned_at = $6, started_at = $7, wait_time = $8, updated_at = $9 WHERE tenant = $1 AND id = $2",
            connection, tx))
        {
            var p = update.Parameters;
            p.AddWithValue(tenant); p.AddWithValue(taken.Id); p.AddWithValue(taken.Status); p.AddWithValue(taken.UserId.Db());
            p.AddWithValue(taken.UserName.Db()); p.AddWithValue(taken.AssignedAt.Db()); p.AddWithValue(taken.StartedAt.Db());
            p.AddWithValue(taken.WaitTime.Db()); p.AddWithValue(taken.UpdatedAt);
            await update.ExecuteNonQueryAsync();
        }
        await outbox.EnqueueAsync(connection, tx, tenant, events);
        await tx.CommitAsync();
        return true;
    }

    /// <summary>The widget's status and evaluate endpoints know only the call id.</summary>
    public async Task<string?> FindTenantAsync(Guid callId)
    {
        await using var cmd = db.CreateCommand("SELECT tenant FROM calls WHERE id = $1");
        cmd.Parameters.AddWithValue(callId);
        return await cmd.ExecuteScalarAsync() as string;
    }

    /// <summary>1-based position of a queued call among its department's queued calls, in the order they joined.</summary>
    public async Task<int> QueuePositionAsync(string tenant, Guid departmentId, Guid callId)
    {
        await using var cmd = db.CreateCommand("""
            SELECT count(*) FROM calls WHERE tenant = $1 AND department_id = $2 AND status = 'queued'
              AND queue_order <= (SELECT queue_order FROM calls WHERE tenant = $1 AND id = $3)
            """);
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(departmentId); cmd.Parameters.AddWithValue(callId);
        return (int)(long)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task<int> QueueSizeAsync(string tenant, Guid departmentId)
    {
        await using var cmd = db.CreateCommand("SELECT count(*) FROM calls WHERE tenant = $1 AND department_id = $2 AND status = 'queued'");
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(departmentId);
        return (int)(long)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>Mean wait (joining to being started) of the department's latest <paramref name="calls"/> answered calls; null before the first.</summary>
    public async Task<double?> RecentAverageWaitSecondsAsync(string tenant, Guid departmentId, int calls)
    {
        // Latest by creation, which calls_by_department reads backwards; answered calls start in about the order they joined.
        await using var cmd = db.CreateCommand("""
            SELECT avg(wait_time) FROM (SELECT wait_time FROM calls WHERE tenant = $1 AND department_id = $2 AND wait_time IS NOT NULL
              ORDER BY inserted_at DESC LIMIT $3) recent
            """);
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(departmentId); cmd.Parameters.AddWithValue(calls);
        return await cmd.ExecuteScalarAsync() is decimal avg ? (double)avg : null;
    }

    /// <summary>The recording's progress as call objects report it (recording_status, has_recording).</summary>
    public async Task SetRecordingStatusAsync(string tenant, Guid callId, string status)
    {
        await using var cmd = db.CreateCommand("UPDATE calls SET recording_status = $3, has_recording = true, updated_at = now() WHERE tenant = $1 AND id = $2");
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(callId); cmd.Parameters.AddWithValue(status);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<bool> DepartmentHasRecordingsAsync(string tenant, Guid departmentId)
    {
        await using var cmd = db.CreateCommand("SELECT 1 FROM calls WHERE tenant = $1 AND department_id = $2 AND has_recording LIMIT 1");
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(departmentId);
        return await cmd.ExecuteScalarAsync() is not null;
    }

    public Task<Page<Call>> ListAsync(string tenant, CallFilter f, ListRequest list) =>
        db.PageAsync(From, Where(tenant, f), list, Columns, Map, "c.id");

    /// <summary>Every call the filter selects, oldest first, streamed (the CSV export).</summary>
    public IAsyncEnumerable<Call> StreamAsync(string tenant, CallFilter f, CancellationToken cancellation) =>
        db.StreamAsync(From, Where(tenant, f), Columns, "c.inserted_at, c.id", Map, cancellation);

    private static SqlWhere Where(string tenant, CallFilter f)
    {
        var where = new SqlWhere(tenant, "c.tenant")
            .AddIf(f.Status is not null, "c.status = {0}", f.Status ?? "")
            .AddIf(f.DepartmentId is not null, "c.department_id = {0}", f.DepartmentId ?? Guid.Empty)
            .AddIf(f.UserId is not null, "c.user_id = {0}", f.UserId ?? Guid.Empty)
            .AddIf(f.From is not null, "c.inserted_at >= {0}", f.From ?? default)
            .AddIf(f.To is not null, "c.inserted_at < {0}", f.To ?? default)
            .AddIf(!string.IsNullOrWhiteSpace(f.Search), "(c.customer_name ILIKE {0} OR c.customer_email ILIKE {0})", $"%{Like.Escape(f.Search)}%")
            .AddIf(f.TagId is not null, "EXISTS (SELECT 1 FROM call_tags ct WHERE ct.tenant = c.tenant AND ct.call_id = c.id AND ct.tag_id = {0})", f.TagId ?? Guid.Empty)
            .AddIf(f.CustomerId is not null, "c.customer_id = {0}", f.CustomerId ?? Guid.Empty);
        if (f.VisibleDepartments is not null)
            where.Add("(c.department_id = ANY({0}) OR c.user_id = {1})", f.VisibleDepartments, f.VisibleToUser ?? Guid.Empty);
        return where;
    }

    private static Call Map(NpgsqlDataReader r) => new()
    {
        Id = r.Get<Guid>("id"),
        Status = r.Get<string>("status"),
        Protocol = r.Get<string>("protocol"),
        DepartmentId = r.Get<Guid>("department_id"),
        DepartmentName = r.Text("department_name"),
        UserId = r.Nullable<Guid>("user_id"),
        UserName = r.Text("user_name"),
        CustomerName = r.Get<string>("customer_name"),
        CustomerEmail = r.Text("customer_email"),
        CustomerPhone = r.Text("customer_phone"),
        Reason = r.Text("reason"),
        AccessLinkId = r.Nullable<Guid>("access_link_id"),
        WaitTime = r.Nullable<int>("wait_time"),
        Duration = r.Nullable<int>("duration"),
        Rating = r.Nullable<int>("rating"),
        RatingComment = r.Text("rating_comment"),
        Notes = r.Text("notes"),
        HasRecording = r.Get<bool>("has_recording"),
        RecordingStatus = r.Get<string>("recording_status"),
        AssignedAt = r.Nullable<DateTime>("assigned_at"),
        StartedAt = r.Nullable<DateTime>("started_at"),
        CompletedAt = r.Nullable<DateTime>("completed_at"),
        InsertedAt = r.Utc("inserted_at"),
        UpdatedAt = r.Utc("updated_at"),
        CustomerId = r.Nullable<Guid>("customer_id"),
    };
}
