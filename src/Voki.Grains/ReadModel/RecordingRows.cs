using Npgsql;
using Voki.Grains.Model;
using Voki.Grains.Webhooks;

namespace Voki.Grains.ReadModel;

public sealed class RecordingRows(NpgsqlDataSource db, WebhookOutbox outbox)
{
    /// <summary>Writes the recording's row, and the webhook events of the change in the same transaction.</summary>
    public Task UpsertAsync(string tenant, Recording r, IReadOnlyList<WebhookEvent>? events = null) =>
        outbox.WriteAsync(tenant, events ?? WebhookEvent.None, (connection, tx) => UpsertAsync(connection, tx, tenant, r));

    private static async Task UpsertAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string tenant, Recording r)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO recordings (tenant, call_id, id, status, duration, file_size, file_path, node_url, attempts, failure_reason,
                                    created_at, expires_at, purged_at, updated_at)
            VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,now())
            ON CONFLICT (tenant, call_id) DO UPDATE SET status = EXCLUDED.status, duration = EXCLUDED.duration,
              file_size = EXCLUDED.file_size, file_path = EXCLUDED.file_path, node_url = EXCLUDED.node_url, attempts = EXCLUDED.attempts,
              failure_reason = EXCLUDED.failure_reason, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
              purged_at = EXCLUDED.purged_at, updated_at = now()
            """, connection, tx);
        var p = cmd.Parameters;
        p.AddWithValue(tenant); p.AddWithValue(r.CallId); p.AddWithValue(r.Id); p.AddWithValue(r.Status);
        p.AddWithValue(r.DurationSeconds.Db()); p.AddWithValue(r.FileSize.Db()); p.AddWithValue(r.OutputPath); p.AddWithValue(r.NodeUrl.Db());
        p.AddWithValue(r.Attempts); p.AddWithValue(r.FailureReason.Db()); p.AddWithValue(r.CreatedAt.Db()); p.AddWithValue(r.ExpiresAt.Db());
        p.AddWithValue(r.Status == RecordingStatus.Expired ? DateTime.UtcNow : DBNull.Value);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task AuditAsync(RecordingAccess access)
    {
        await using var cmd = db.CreateCommand(
            "INSERT INTO recording_audit (tenant, call_id, user_id, role, action, byte_range, ip, detail) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)");
        var p = cmd.Parameters;
        p.AddWithValue(access.Tenant); p.AddWithValue(access.CallId); p.AddWithValue(access.UserId.Db()); p.AddWithValue(access.Role.Db());
        p.AddWithValue(access.Action); p.AddWithValue(access.Range.Db()); p.AddWithValue(access.Ip.Db()); p.AddWithValue(access.Detail.Db());
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>One call's audit trail, oldest first, with each actor's current name.</summary>
    public Task<Page<RecordingAuditEntry>> AuditTrailAsync(string tenant, Guid callId, ListRequest list) =>
        db.PageAsync("recording_audit a LEFT JOIN users u ON u.tenant = a.tenant AND u.id = a.user_id",
            new SqlWhere(tenant, "a.tenant").Add("a.call_id = {0}", callId), list,
            "a.action, a.user_id, u.name AS user_name, a.role, a.at, a.byte_range, a.ip",
            r => new RecordingAuditEntry(r.Get<string>("action"), r.Nullable<Guid>("user_id"), r.Text("user_name"), r.Text("role"),
                r.Utc("at"), r.Text("byte_range"), r.Text("ip")),
            "a.id");

    /// <summary>Total bytes of the tenant's kept recordings, for the billing usage.</summary>
    public async Task<long> StorageBytesAsync(string tenant)
    {
        await using var cmd = db.CreateCommand("SELECT COALESCE(sum(file_size), 0) FROM recordings WHERE tenant = $1 AND status = 'ready'");
        cmd.Parameters.AddWithValue(tenant);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }
}

/// <summary>What the audit trail names: <see cref="Action"/> is one of <see cref="RecordingAuditActions"/>.</summary>
public sealed record RecordingAccess(string Tenant, Guid CallId, string Action)
{
    public Guid? UserId { get; init; }
    public string? Role { get; init; }
    public string? Range { get; init; }
    public string? Ip { get; init; }
    public string? Detail { get; init; }
}

public sealed record RecordingAuditEntry(string Action, Guid? ActorId, string? ActorName, string? Role, DateTime At, string? Range, string? Ip);

public static class RecordingAuditActions
{
    public const string View = "view", Download = "download", TranscriptView = "transcript_view", Denied = "denied",
        LiveJoin = "live_join", Purge = "purge";
}
