using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Voki.Grains.ReadModel;

namespace Voki.Grains.Webhooks;

/// <summary>
/// The webhooks table (the source of truth: the outbox reads it inside the transactions of the changes it reports)
/// and the delivery log the dispatchers work through.
/// </summary>
public sealed class WebhookRows(NpgsqlDataSource db, WebhookOutbox outbox)
{
    /// <summary>Attempts a delivery keeps in its log; older ones are dropped first.</summary>
    public const int KeptAttempts = 50;

    private const string Columns = "id, url, events, secret, description, active, inserted_at, updated_at";

    public async Task<long> CountAsync(string tenant)
    {
        await using var cmd = db.CreateCommand("SELECT count(*) FROM webhooks WHERE tenant = $1");
        cmd.Parameters.AddWithValue(tenant);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task InsertAsync(string tenant, Webhook w)
    {
        await using var cmd = db.CreateCommand($"INSERT INTO webhooks (tenant, {Columns}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)");
        Bind(cmd, tenant, w);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<bool> UpdateAsync(string tenant, Webhook w)
    {
        await using var cmd = db.CreateCommand(
            "UPDATE webhooks SET url = $3, events = $4, secret = $5, description = $6, active = $7, updated_at = $9 WHERE tenant = $1 AND id = $2");
        Bind(cmd, tenant, w);
        return await cmd.ExecuteNonQueryAsync() == 1;
    }

    private static void Bind(NpgsqlCommand cmd, string tenant, Webhook w)
    {
        var p = cmd.Parameters;
        p.AddWithValue(tenant); p.AddWithValue(w.Id); p.AddWithValue(w.Url); p.AddWithValue(w.Events); p.AddWithValue(w.Secret);
        p.AddWithValue(w.Description.Db()); p.AddWithValue(w.Active); p.AddWithValue(w.InsertedAt); p.AddWithValue(w.UpdatedAt);
    }

    /// <summary>Deletes the webhook and its delivery log (pending deliveries are never sent).</summary>
    public async Task<bool> DeleteAsync(string tenant, Guid id)
    {
        await using var cmd = db.CreateCommand("DELETE FROM webhooks WHERE tenant = $1 AND id = $2");
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(id);
        return await cmd.ExecuteNonQueryAsync() == 1;
    }

    public async Task<Webhook?> GetAsync(string tenant, Guid id)
    {
        await using var cmd = db.CreateCommand($"SELECT {Columns} FROM webhooks WHERE tenant = $1 AND id = $2");
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(id);
        await using var reader = await cmd.ExecuteReaderAsync();
        return await reader.ReadAsync() ? Map(reader) : null;
    }

    public Task<Page<Webhook>> ListAsync(string tenant, ListRequest list) =>
        db.PageAsync("webhooks", new SqlWhere(tenant), list, Columns, Map);

    /// <summary>Queues the test event for this one webhook, whatever it subscribes to.</summary>
    public async Task<WebhookDelivery?> EnqueueTestAsync(string tenant, Guid webhookId, WebhookEvent test)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        if (await outbox.EnqueueAsync(connection, tx, tenant, [test], onlyWebhook: webhookId) == 0) return null;
        await tx.CommitAsync();
        var page = await DeliveriesAsync(tenant, webhookId, null, test.Id, new ListRequest(1, 1, "inserted_at", true));
        return page.Items.FirstOrDefault();
    }

    private const string DeliveryColumns = "id, webhook_id, event_id, event, status, attempt_count, last_status_code, last_error, next_attempt_at, " +
        "delivered_at, attempts, inserted_at, updated_at";

    public Task<Page<WebhookDelivery>> DeliveriesAsync(string tenant, Guid webhookId, string? status, Guid? eventId, ListRequest list)
    {
        var where = new SqlWhere(tenant).Add("webhook_id = {0}", webhookId)
            .AddIf(status is not null, "status = {0}", status ?? "")
            .AddIf(eventId is not null, "event_id = {0}", eventId ?? Guid.Empty);
        return db.PageAsync("webhook_deliveries", where, list, DeliveryColumns, MapDelivery, "seq");
    }

    /// <summary>
    /// Claims the next due delivery, holding its row lock (FOR UPDATE SKIP LOCKED) in a transaction the claim keeps open
    /// while it is sent: no other node can claim it meanwhile, and should this node die, the lock goes with its connection
    /// and the delivery is due again. A delivery waits while an earlier one of the same webhook and ordering key (call)
    /// is pending, so a call's events reach an endpoint in the order they happened. Inactive webhooks' deliveries wait.
    /// </summary>
    public async Task<DeliveryClaim?> ClaimAsync(CancellationToken cancellation)
    {
        var connection = await db.OpenConnectionAsync(cancellation);
        NpgsqlTransaction? tx = null;
        try
        {
            tx = await connection.BeginTransactionAsync(cancellation);
            await using var cmd = new NpgsqlCommand("""
                SELECT d.id, d.tenant, d.webhook_id, d.event_id, d.event, d.body, d.attempt_count, d.inserted_at, w.url, w.secret
                FROM webhook_deliveries d JOIN webhooks w ON w.tenant = d.tenant AND w.id = d.webhook_id
                WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND w.active
                  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.webhook_id = d.webhook_id AND e.ordering_key = d.ordering_key
                                  AND e.status = 'pending' AND e.seq < d.seq)
                ORDER BY d.next_attempt_at, d.seq
                LIMIT 1
                FOR UPDATE OF d SKIP LOCKED
                """, connection, tx);
            await using var reader = await cmd.ExecuteReaderAsync(cancellation);
            if (!await reader.ReadAsync(cancellation))
            {
                await reader.DisposeAsync();
                await tx.DisposeAsync();
                await connection.DisposeAsync();
                return null;
            }
            var claim = new DeliveryClaim(connection, tx)
            {
                Id = reader.GetGuid(0), Tenant = reader.GetString(1), WebhookId = reader.GetGuid(2), EventId = reader.GetGuid(3),
                Event = reader.GetString(4), Body = reader.GetString(5), AttemptCount = reader.GetInt32(6),
                InsertedAt = reader.GetFieldValue<DateTime>(7), Url = reader.GetString(8), Secret = reader.GetString(9),
            };
            return claim;
        }
        catch
        {
            if (tx is not null) await tx.DisposeAsync();
            await connection.DisposeAsync();
            throw;
        }
    }

    private static Webhook Map(NpgsqlDataReader r) => new()
    {
        Id = r.Get<Guid>("id"),
        Url = r.Get<string>("url"),
        Events = r.Get<string[]>("events"),
        Secret = r.Get<string>("secret"),
        Description = r.Text("description"),
        Active = r.Get<bool>("active"),
        InsertedAt = r.Utc("inserted_at"),
        UpdatedAt = r.Utc("updated_at"),
    };

    private static WebhookDelivery MapDelivery(NpgsqlDataReader r) => new()
    {
        Id = r.Get<Guid>("id"),
        WebhookId = r.Get<Guid>("webhook_id"),
        EventId = r.Get<Guid>("event_id"),
        Event = r.Get<string>("event"),
        Status = r.Get<string>("status"),
        AttemptCount = r.Get<int>("attempt_count"),
        LastStatusCode = r.Nullable<int>("last_status_code"),
        LastError = r.Text("last_error"),
        NextAttemptAt = r.Get<string>("status") == DeliveryStatus.Pending ? r.Utc("next_attempt_at") : null,
        DeliveredAt = r.Nullable<DateTime>("delivered_at"),
        Attempts = JsonSerializer.Deserialize<List<DeliveryAttempt>>(r.Get<string>("attempts"), ApiJson.Options) ?? [],
        InsertedAt = r.Utc("inserted_at"),
        UpdatedAt = r.Utc("updated_at"),
    };
}

/// <summary>A claimed delivery: its row stays locked until the attempt is recorded (or the claim is dropped, unrecorded).</summary>
public sealed class DeliveryClaim(NpgsqlConnection connection, NpgsqlTransaction tx) : IAsyncDisposable
{
    public Guid Id { get; init; }
    public string Tenant { get; init; } = "";
    public Guid WebhookId { get; init; }
    public Guid EventId { get; init; }
    public string Event { get; init; } = "";
    public string Body { get; init; } = "";
    public string Url { get; init; } = "";
    public string Secret { get; init; } = "";
    /// <summary>Attempts made before this one.</summary>
    public int AttemptCount { get; init; }
    public DateTime InsertedAt { get; init; }

    /// <summary>Records the attempt and what follows: delivered, another attempt at <paramref name="retryAt"/>, or failed (null).</summary>
    public async Task RecordAsync(DeliveryAttempt attempt, bool delivered, DateTime? retryAt, CancellationToken cancellation)
    {
        var status = delivered ? DeliveryStatus.Delivered : retryAt is null ? DeliveryStatus.Failed : DeliveryStatus.Pending;
        await using var cmd = new NpgsqlCommand($"""
            UPDATE webhook_deliveries SET status = $2, attempt_count = attempt_count + 1, next_attempt_at = COALESCE($3, next_attempt_at),
              last_status_code = $4, last_error = $5, delivered_at = $6, updated_at = now(),
              attempts = (CASE WHEN jsonb_array_length(attempts) >= {WebhookRows.KeptAttempts} THEN attempts - 0 ELSE attempts END) || $7
            WHERE id = $1
            """, connection, tx);
        var p = cmd.Parameters;
        p.AddWithValue(Id); p.AddWithValue(status); p.AddWithValue(NpgsqlDbType.TimestampTz, retryAt.Db());
        p.AddWithValue(NpgsqlDbType.Integer, attempt.StatusCode.Db()); p.AddWithValue(NpgsqlDbType.Text, attempt.Error.Db());
        p.AddWithValue(NpgsqlDbType.TimestampTz, delivered ? attempt.At : DBNull.Value);
        p.AddWithValue(NpgsqlDbType.Jsonb, JsonSerializer.Serialize(new[] { attempt }, ApiJson.Options));
        await cmd.ExecuteNonQueryAsync(cancellation);
        await tx.CommitAsync(cancellation);
    }

    public async ValueTask DisposeAsync()
    {
        await tx.DisposeAsync();
        await connection.DisposeAsync();
    }
}
