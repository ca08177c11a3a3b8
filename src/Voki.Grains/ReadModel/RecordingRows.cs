using Npgsql;
using Voki.Grains.Model;

namespace Voki.Grains.ReadModel;

public sealed class RecordingRows(NpgsqlDataSource db)
{
    public async Task UpsertAsync(string tenant, Recording r)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO recordings (tenant, call_id, id, status, duration, file_size, file_path, node_url, attempts, failure_reason,
                                    created_at, expires_at, purged_at, updated_at)
            VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,now())
            ON CONFLICT (tenant, call_id) DO UPDATE SET status = EXCLUDED.status, duration = EXCLUDED.duration,
              file_size = EXCLUDED.file_size, file_path = EXCLUDED.file_path, node_url = EXCLUDED.node_url, attempts = EXCLUDED.attempts,
              failure_reason = EXCLUDED.failure_reason, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
              purged_at = EXCLUDED.purged_at, updated_at = now()
            """);
        var p = cmd.Parameters;
        p.AddWithValue(tenant); p.AddWithValue(r.CallId); p.AddWithValue(r.Id); p.AddWithValue(r.Status);
        p.AddWithValue(r.DurationSeconds.Db()); p.AddWithValue(r.FileSize.Db()); p.AddWithValue(r.OutputPath); p.AddWithValue(r.NodeUrl.Db());
        p.AddWithValue(r.Attempts); p.AddWithValue(r.FailureReason.Db()); p.AddWithValue(r.CreatedAt.Db()); p.AddWithValue(r.ExpiresAt.Db());
        p.AddWithValue(r.Status == RecordingStatus.Expired ? DateTime.UtcNow : DBNull.Value);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task AuditAsync(string tenant, Guid callId, Guid? userId, string action, string? byteRange, string? detail)
    {
        await using var cmd = db.CreateCommand(
            "INSERT INTO recording_audit (tenant, call_id, user_id, action, byte_range, detail) VALUES ($1,$2,$3,$4,$5,$6)");
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(callId); cmd.Parameters.AddWithValue(userId.Db());
        cmd.Parameters.AddWithValue(action); cmd.Parameters.AddWithValue(byteRange.Db()); cmd.Parameters.AddWithValue(detail.Db());
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<List<(Guid? UserId, string Action, string? Range, DateTime At)>> AuditTrailAsync(string tenant, Guid callId)
    {
        await using var cmd = db.CreateCommand("SELECT user_id, action, byte_range, at FROM recording_audit WHERE tenant = $1 AND call_id = $2 ORDER BY id");
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(callId);
        var rows = new List<(Guid?, string, string?, DateTime)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add((reader.IsDBNull(0) ? null : reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetDateTime(3)));
        return rows;
    }

    /// <summary>Total bytes of the tenant's kept recordings, for the billing usage.</summary>
    public async Task<long> StorageBytesAsync(string tenant)
    {
        await using var cmd = db.CreateCommand("SELECT COALESCE(sum(file_size), 0) FROM recordings WHERE tenant = $1 AND status = 'ready'");
        cmd.Parameters.AddWithValue(tenant);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }
}
