using Npgsql;
using Voki.Grains.Model;

namespace Voki.Grains.Webhooks;

/// <summary>
/// Writes events into the webhook outbox (table webhook_deliveries, migration 0018) inside the transaction of the
/// read-model change they report: one delivery per active webhook of the tenant that subscribes to the event, while
/// the tenant's plan has webhooks. A change that commits has its deliveries; one that fails has none.
/// </summary>
public sealed class WebhookOutbox(NpgsqlDataSource db, PlanCatalog plans)
{
    /// <summary>Runs <paramref name="change"/> and enqueues the events in one transaction (no transaction without events).</summary>
    public async Task WriteAsync(string tenant, IReadOnlyList<WebhookEvent> events, Func<NpgsqlConnection, NpgsqlTransaction?, Task> change)
    {
        await using var connection = await db.OpenConnectionAsync();
        if (events.Count == 0)
        {
            await change(connection, null);
            return;
        }
        await using var tx = await connection.BeginTransactionAsync();
        await change(connection, tx);
        await EnqueueAsync(connection, tx, tenant, events);
        await tx.CommitAsync();
    }

    /// <summary>Enqueues the events in the caller's transaction; returns the deliveries written.</summary>
    public async Task<int> EnqueueAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string tenant, IReadOnlyList<WebhookEvent> events,
        Guid? onlyWebhook = null)
    {
        if (events.Count == 0) return 0;
        var webhookPlans = plans.WithWebhooks;
        await using var batch = new NpgsqlBatch(connection, tx);
        foreach (var e in events)
        {
            // The test event goes to the one webhook named, whatever it subscribes to.
            var subscribed = onlyWebhook is null ? "AND w.active AND $3 = ANY(w.events)" : "AND w.id = $7";
            var command = new NpgsqlBatchCommand($"""
                INSERT INTO webhook_deliveries (id, tenant, webhook_id, event_id, event, ordering_key, body, next_attempt_at, inserted_at, updated_at)
                SELECT gen_random_uuid(), w.tenant, w.id, $2, $3, $4, $5, now(), now(), now()
                FROM webhooks w JOIN companies c ON c.slug = w.tenant
                WHERE w.tenant = $1 {subscribed} AND c.plan = ANY($6)
                ORDER BY w.id
                """);
            var p = command.Parameters;
            p.Add(new() { Value = tenant }); p.Add(new() { Value = e.Id }); p.Add(new() { Value = e.Name });
            p.Add(new() { Value = (object?)e.OrderingKey ?? DBNull.Value }); p.Add(new() { Value = e.Body(tenant) });
            p.Add(new() { Value = webhookPlans });
            if (onlyWebhook is { } id) p.Add(new() { Value = id });
            batch.BatchCommands.Add(command);
        }
        return await batch.ExecuteNonQueryAsync();
    }
}
