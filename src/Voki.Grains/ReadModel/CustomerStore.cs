using Npgsql;
using Voki.Grains.Webhooks;
using Voki.Grains.Model;

namespace Voki.Grains.ReadModel;

/// <summary>What a merge or a delete changed: the calls and links whose <c>customer_id</c> now names another customer (or none).</summary>
public sealed record Relinked(Guid[] Calls, Guid[] Links);

/// <summary>
/// The customers of every tenant. They live here rather than in grains: search, the widget join's match by
/// e-mail or phone, and merge (calls and links re-pointed, duplicates deleted) are set operations that must be
/// atomic across rows, which one grain per customer could not give.
/// </summary>
public sealed class CustomerStore(NpgsqlDataSource db, WebhookOutbox outbox)
{
    // Correlated subqueries rather than a join: the page's count(*) never computes them.
    private const string Columns = "cu.id, cu.name, cu.email, cu.phone, cu.document, cu.notes, cu.inserted_at, cu.updated_at, " +
        "(SELECT count(*) FROM calls c WHERE c.tenant = cu.tenant AND c.customer_id = cu.id) AS call_count, " +
        "(SELECT max(c.inserted_at) FROM calls c WHERE c.tenant = cu.tenant AND c.customer_id = cu.id) AS last_call_at";
    private const string From = "customers cu";

    public async Task<Customer> CreateAsync(string tenant, Customer draft)
    {
        var now = Clock.Now();
        var customer = draft with { Id = Guid.NewGuid(), InsertedAt = now, UpdatedAt = now, CallCount = 0, LastCallAt = null };
        await outbox.WriteAsync(tenant, [Created(customer)], async (connection, tx) =>
        {
            await using var cmd = new NpgsqlCommand(Insert, connection, tx);
            BindInsert(cmd, tenant, customer);
            await cmd.ExecuteNonQueryAsync();
        });
        return customer;
    }

    public async Task<Customer?> GetAsync(string tenant, Guid id)
    {
        await using var cmd = db.CreateCommand($"SELECT {Columns} FROM {From} WHERE cu.tenant = $1 AND cu.id = $2");
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(id);
        await using var reader = await cmd.ExecuteReaderAsync();
        return await reader.ReadAsync() ? Map(reader) : null;
    }

    public async Task<bool> ExistsAsync(string tenant, Guid id)
    {
        await using var cmd = db.CreateCommand("SELECT 1 FROM customers WHERE tenant = $1 AND id = $2");
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(id);
        return await cmd.ExecuteScalarAsync() is not null;
    }

    public async Task<Customer?> UpdateAsync(string tenant, Guid id, CustomerChanges c)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE customers SET name = COALESCE($3, name),
              email = CASE WHEN $4 THEN $5 ELSE email END, phone = CASE WHEN $6 THEN $7 ELSE phone END,
              document = CASE WHEN $8 THEN $9 ELSE document END, notes = CASE WHEN $10 THEN $11 ELSE notes END,
              updated_at = $12
            WHERE tenant = $1 AND id = $2
            """);
        var p = cmd.Parameters;
        p.AddWithValue(tenant); p.AddWithValue(id); p.Add(new NpgsqlParameter { Value = c.Name.Db(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        foreach (var field in new[] { c.Email, c.Phone, c.Document, c.Notes })
        {
            p.AddWithValue(field.IsSet);
            p.Add(new NpgsqlParameter { Value = field.Value.Db(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        }
        p.AddWithValue(Clock.Now());
        return await cmd.ExecuteNonQueryAsync() == 0 ? null : await GetAsync(tenant, id);
    }

    /// <summary>Deletes the customer; their calls and links keep their copy of name and contact but no longer name a customer.</summary>
    public async Task<Relinked?> DeleteAsync(string tenant, Guid id)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var delete = new NpgsqlCommand("DELETE FROM customers WHERE tenant = $1 AND id = $2", connection, tx))
        {
            delete.Parameters.AddWithValue(tenant);
            delete.Parameters.AddWithValue(id);
            if (await delete.ExecuteNonQueryAsync() == 0) return null;
        }
        var relinked = await Repoint(connection, tx, tenant, [id], null);
        await tx.CommitAsync();
        return relinked;
    }

    public Task<Page<Customer>> ListAsync(string tenant, string? search, ListRequest list) =>
        db.PageAsync(From, Filter(tenant, search), list, Columns, Map, "cu.id");

    /// <summary>The customer each call is with, as a customer merge or delete left it.</summary>
    public async Task<Dictionary<Guid, Guid?>> OfCallsAsync(string tenant, IReadOnlyList<Guid> callIds)
    {
        await using var cmd = db.CreateCommand("SELECT id, customer_id FROM calls WHERE tenant = $1 AND id = ANY($2)");
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(callIds.ToArray());
        var customers = new Dictionary<Guid, Guid?>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) customers[reader.GetGuid(0)] = reader.IsDBNull(1) ? null : reader.GetGuid(1);
        return customers;
    }

    /// <summary>Every customer, by name, streamed (the CSV export).</summary>
    public IAsyncEnumerable<Customer> StreamAsync(string tenant, CancellationToken cancellation) =>
        db.StreamAsync(From, Filter(tenant, null), Columns, "lower(cu.name), cu.id", Map, cancellation);

    private static SqlWhere Filter(string tenant, string? search) => new SqlWhere(tenant, "cu.tenant")
        .AddIf(!string.IsNullOrWhiteSpace(search), "(cu.name ILIKE {0} OR cu.email ILIKE {0} OR cu.phone ILIKE {0})", $"%{Like.Escape(search?.Trim())}%");

    /// <summary>
    /// Merges the duplicates into the primary in one transaction: their calls and links are re-pointed to it, the
    /// fields it lacks are taken from them (oldest first), and they are deleted. Null when a customer named is
    /// not the tenant's (nothing changed then), with the field that named it.
    /// </summary>
    public async Task<(Customer? Merged, Relinked? Relinked, string? MissingField)> MergeAsync(string tenant, Guid primary, Guid[] duplicates)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        var found = new Dictionary<Guid, Customer>();
        await using (var select = new NpgsqlCommand(
            "SELECT id, name, email, phone, document, notes, inserted_at, updated_at FROM customers WHERE tenant = $1 AND id = ANY($2) " +
            "ORDER BY inserted_at, id FOR UPDATE", connection, tx))
        {
            select.Parameters.AddWithValue(tenant);
            select.Parameters.AddWithValue(duplicates.Append(primary).ToArray());
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                found[reader.GetGuid(0)] = new Customer
                {
                    Id = reader.GetGuid(0), Name = reader.GetString(1), Email = reader.Text("email"), Phone = reader.Text("phone"),
                    Document = reader.Text("document"), Notes = reader.Text("notes"),
                };
        }
        if (!found.TryGetValue(primary, out var kept)) return (null, null, "primary_id");
        if (duplicates.Any(d => !found.ContainsKey(d))) return (null, null, "duplicate_ids");

        var relinked = await Repoint(connection, tx, tenant, duplicates, primary);
        var donors = found.Values.Where(c => c.Id != primary).ToList(); // oldest first
        await using (var fill = new NpgsqlCommand(
            "UPDATE customers SET email = $3, phone = $4, document = $5, notes = $6, updated_at = $7 WHERE tenant = $1 AND id = $2", connection, tx))
        {
            var p = fill.Parameters;
            p.AddWithValue(tenant); p.AddWithValue(primary);
            p.AddWithValue((kept.Email ?? donors.Select(d => d.Email).FirstOrDefault(e => e is not null)).Db());
            p.AddWithValue((kept.Phone ?? donors.Select(d => d.Phone).FirstOrDefault(e => e is not null)).Db());
            p.AddWithValue((kept.Document ?? donors.Select(d => d.Document).FirstOrDefault(e => e is not null)).Db());
            p.AddWithValue((kept.Notes ?? donors.Select(d => d.Notes).FirstOrDefault(e => e is not null)).Db());
            p.AddWithValue(Clock.Now());
            await fill.ExecuteNonQueryAsync();
        }
        await using (var delete = new NpgsqlCommand("DELETE FROM customers WHERE tenant = $1 AND id = ANY($2)", connection, tx))
        {
            delete.Parameters.AddWithValue(tenant);
            delete.Parameters.AddWithValue(duplicates);
            await delete.ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
        return (await GetAsync(tenant, primary), relinked, null);
    }

    /// <summary>
    /// The widget join's customer (decisions.md "Customers"): the link's own customer if it still exists, else the one
    /// with the e-mail, else the one with the phone. A match takes the name and phone given, and the e-mail if it had none;
    /// without a match the customer is created.
    /// The advisory lock makes two joins of the same new customer, on any nodes, create one customer and not two.
    /// </summary>
    public async Task<(Guid Id, bool Created)> MatchOrCreateAsync(string tenant, Guid? linked, JoiningCustomer who)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext($1))", connection, tx))
        {
            lockCmd.Parameters.AddWithValue("customers:" + tenant);
            await lockCmd.ExecuteNonQueryAsync();
        }
        Guid? match = null;
        if (linked is { } id) match = await FirstId(connection, tx, "id = $2", tenant, id);
        if (match is null && !string.IsNullOrEmpty(who.Email)) match = await FirstId(connection, tx, "lower(email) = lower($2)", tenant, who.Email);
        if (match is null && !string.IsNullOrEmpty(who.Phone)) match = await FirstId(connection, tx, "phone = $2", tenant, who.Phone);

        if (match is { } existing)
        {
            await using var update = new NpgsqlCommand("""
                UPDATE customers SET name = $3, email = COALESCE(email, $4), phone = COALESCE($5, phone), updated_at = $6
                WHERE tenant = $1 AND id = $2
                """, connection, tx);
            var p = update.Parameters;
            p.AddWithValue(tenant); p.AddWithValue(existing); p.AddWithValue(who.Name);
            p.Add(new NpgsqlParameter { Value = who.Email.Db(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            p.Add(new NpgsqlParameter { Value = who.Phone.Db(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            p.AddWithValue(Clock.Now());
            await update.ExecuteNonQueryAsync();
            await tx.CommitAsync();
            return (existing, false);
        }
        var now = Clock.Now();
        var created = new Customer { Id = Guid.NewGuid(), Name = who.Name, Email = who.Email, Phone = who.Phone, InsertedAt = now, UpdatedAt = now };
        await using (var insert = new NpgsqlCommand(Insert, connection, tx))
        {
            BindInsert(insert, tenant, created);
            await insert.ExecuteNonQueryAsync();
        }
        await outbox.EnqueueAsync(connection, tx, tenant, [Created(created)]);
        await tx.CommitAsync();
        return (created.Id, true);
    }

    private static async Task<Guid?> FirstId(NpgsqlConnection connection, NpgsqlTransaction tx, string condition, string tenant, object value)
    {
        await using var cmd = new NpgsqlCommand($"SELECT id FROM customers WHERE tenant = $1 AND {condition} ORDER BY inserted_at, id LIMIT 1", connection, tx);
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(value);
        return await cmd.ExecuteScalarAsync() is Guid id ? id : null;
    }

    private static async Task<Relinked> Repoint(NpgsqlConnection connection, NpgsqlTransaction tx, string tenant, Guid[] from, Guid? to)
    {
        async Task<Guid[]> Run(string table)
        {
            await using var cmd = new NpgsqlCommand($"UPDATE {table} SET customer_id = $3 WHERE tenant = $1 AND customer_id = ANY($2) RETURNING id", connection, tx);
            cmd.Parameters.AddWithValue(tenant);
            cmd.Parameters.AddWithValue(from);
            cmd.Parameters.Add(new NpgsqlParameter { Value = to.Db(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            var ids = new List<Guid>();
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
            return [.. ids];
        }
        return new Relinked(await Run("calls"), await Run("access_links"));
    }

    /// <summary>customer.created, with the customer object of GET /api/v1/customers/:id.</summary>
    private static WebhookEvent Created(Customer customer) => new(WebhookEvents.CustomerCreated, customer.Id.ToString(), customer);

    private const string Insert = """
        INSERT INTO customers (tenant, id, name, email, phone, document, notes, inserted_at, updated_at)
        VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
        """;

    private static void BindInsert(NpgsqlCommand cmd, string tenant, Customer c)
    {
        var p = cmd.Parameters;
        p.AddWithValue(tenant); p.AddWithValue(c.Id); p.AddWithValue(c.Name);
        p.AddWithValue(c.Email.Db()); p.AddWithValue(c.Phone.Db()); p.AddWithValue(c.Document.Db()); p.AddWithValue(c.Notes.Db());
        p.AddWithValue(c.InsertedAt); p.AddWithValue(c.UpdatedAt);
    }

    private static Customer Map(NpgsqlDataReader r) => new()
    {
        Id = r.Get<Guid>("id"),
        Name = r.Get<string>("name"),
        Email = r.Text("email"),
        Phone = r.Text("phone"),
        Document = r.Text("document"),
        Notes = r.Text("notes"),
        CallCount = (int)r.Get<long>("call_count"),
        LastCallAt = r.Nullable<DateTime>("last_call_at"),
        InsertedAt = r.Utc("inserted_at"),
        UpdatedAt = r.Utc("updated_at"),
    };
}
