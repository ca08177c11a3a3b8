using Npgsql;
using Voki.Grains.Model;
using Voki.Grains.Webhooks;

namespace Voki.Grains.ReadModel;

/// <summary>The transcripts read model: each recording's transcription status and its segments.</summary>
public sealed class TranscriptRows(NpgsqlDataSource db, WebhookOutbox outbox)
{
    /// <summary>Writes the transcription's row, and the webhook events of the change in the same transaction.</summary>
    public Task UpsertAsync(string tenant, Guid callId, Transcription t, IReadOnlyList<WebhookEvent>? events = null) =>
        outbox.WriteAsync(tenant, events ?? WebhookEvent.None, (connection, tx) => UpsertAsync(connection, tx, tenant, callId, t));

    private static async Task UpsertAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string tenant, Guid callId, Transcription t)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO transcripts (tenant, call_id, status, locale, language, text, segment_count, audio_seconds, attempts, failure_reason,
                                     requested_at, started_at, completed_at, updated_at)
            VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,now())
            ON CONFLICT (tenant, call_id) DO UPDATE SET status = EXCLUDED.status, locale = EXCLUDED.locale, language = EXCLUDED.language,
              text = EXCLUDED.text, segment_count = EXCLUDED.segment_count, audio_seconds = EXCLUDED.audio_seconds, attempts = EXCLUDED.attempts,
              failure_reason = EXCLUDED.failure_reason, requested_at = EXCLUDED.requested_at, started_at = EXCLUDED.started_at,
              completed_at = EXCLUDED.completed_at, updated_at = now()
            """, connection, tx);
        var p = cmd.Parameters;
        p.AddWithValue(tenant); p.AddWithValue(callId); p.AddWithValue(t.Status); p.AddWithValue(t.Locale); p.AddWithValue(t.Language.Db());
        p.AddWithValue(t.Text.Db()); p.AddWithValue(t.SegmentCount); p.AddWithValue(t.AudioSeconds.Db()); p.AddWithValue(t.Attempts);
        p.AddWithValue(t.FailureReason.Db()); p.AddWithValue(t.RequestedAt); p.AddWithValue(t.StartedAt.Db()); p.AddWithValue(t.CompletedAt.Db());
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Replaces the call's segments in one transaction (a retried job writes them again).</summary>
    public async Task ReplaceSegmentsAsync(string tenant, Guid callId, IReadOnlyList<TranscriptSegment> segments)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var delete = new NpgsqlCommand("DELETE FROM transcript_segments WHERE tenant = $1 AND call_id = $2", connection, tx))
        {
            delete.Parameters.AddWithValue(tenant); delete.Parameters.AddWithValue(callId);
            await delete.ExecuteNonQueryAsync();
        }
        if (segments.Count > 0)
        {
            await using var import = await connection.BeginBinaryImportAsync(
                "COPY transcript_segments (tenant, call_id, position, start_seconds, end_seconds, speaker, speaker_name, text) FROM STDIN (FORMAT BINARY)");
            for (var i = 0; i < segments.Count; i++)
            {
                var s = segments[i];
                await import.StartRowAsync();
                await import.WriteAsync(tenant); await import.WriteAsync(callId); await import.WriteAsync(i);
                await import.WriteAsync(s.Start); await import.WriteAsync(s.End);
                await import.WriteAsync(s.Speaker); await import.WriteAsync(s.SpeakerName); await import.WriteAsync(s.Text);
            }
            await import.CompleteAsync();
        }
        await tx.CommitAsync();
    }

    public async Task<List<TranscriptSegment>> SegmentsAsync(string tenant, Guid callId)
    {
        await using var cmd = db.CreateCommand("""
            SELECT start_seconds, end_seconds, speaker, speaker_name, text FROM transcript_segments
            WHERE tenant = $1 AND call_id = $2 ORDER BY position
            """);
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(callId);
        var segments = new List<TranscriptSegment>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            segments.Add(new TranscriptSegment
            {
                Start = reader.GetDouble(0), End = reader.GetDouble(1), Speaker = reader.GetString(2), SpeakerName = reader.GetString(3), Text = reader.GetString(4),
            });
        return segments;
    }

    /// <summary>Retention purged the recording: its transcript goes with it.</summary>
    public async Task DeleteAsync(string tenant, Guid callId)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("DELETE FROM transcript_segments WHERE tenant = $1 AND call_id = $2") { Parameters = { new() { Value = tenant }, new() { Value = callId } } },
                new NpgsqlBatchCommand("DELETE FROM transcripts WHERE tenant = $1 AND call_id = $2") { Parameters = { new() { Value = tenant }, new() { Value = callId } } },
            },
        };
        await batch.ExecuteNonQueryAsync();
    }
}
