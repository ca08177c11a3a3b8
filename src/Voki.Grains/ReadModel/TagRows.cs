using Npgsql;
using Voki.Grains.Model;

namespace Voki.Grains.ReadModel;

/// <summary>How writing a tag's row went.</summary>
public enum TagWrite { Saved, NameTaken, ParentMissing, Cycle }

/// <summary>A tag as call objects carry it.</summary>
public sealed record CallTag(Guid Id, string Name, string Color, Guid? ParentId);

public sealed class TagRows(NpgsqlDataSource db)
{
    private const string Columns = "t.id, t.name, t.color, t.parent_id, t.inserted_at, t.updated_at, " +
        "(SELECT count(*) FROM call_tags ct WHERE ct.tenant = t.tenant AND ct.tag_id = t.id) AS usage_count";

    /// <summary>
    /// Writes the row, unless a sibling has the name, the parent is not one of the tenant's tags, or the parent is the
    /// tag itself or below it. Writes of one tenant's tags are serialised (an advisory lock), so two moves on two nodes
    /// cannot close a loop between them.
    /// </summary>
    public async Task<TagWrite> TryUpsertAsync(string tenant, Tag t)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext($1))", connection, tx))
        {
            lockCmd.Parameters.AddWithValue("tags:" + tenant);
            await lockCmd.ExecuteNonQueryAsync();
        }
        if (t.ParentId is { } parentId)
        {
            await using var cycle = new NpgsqlCommand("""
                WITH RECURSIVE up(id, parent_id) AS (
                  SELECT id, parent_id FROM tags WHERE tenant = $1 AND id = $3
                  UNION
                  SELECT t.id, t.parent_id FROM tags t JOIN up ON t.tenant = $1 AND t.id = up.parent_id)
                SELECT 1 FROM up WHERE id = $2 LIMIT 1
                """, connection, tx);
            cycle.Parameters.AddWithValue(tenant); cycle.Parameters.AddWithValue(t.Id); cycle.Parameters.AddWithValue(parentId);
            if (parentId == t.Id || await cycle.ExecuteScalarAsync() is not null) return TagWrite.Cycle;
        }
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO tags (tenant, id, name, color, parent_id, inserted_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7)
            ON CONFLICT (tenant, id) DO UPDATE SET name = EXCLUDED.name, color = EXCLUDED.color, parent_id = EXCLUDED.parent_id,
              updated_at = EXCLUDED.updated_at
            """, connection, tx);
        var p = cmd.Parameters;
        p.AddWithValue(tenant); p.AddWithValue(t.Id); p.AddWithValue(t.Name); p.AddWithValue(t.Color);
        p.AddWithValue(t.ParentId.Db()); p.AddWithValue(t.InsertedAt); p.AddWithValue(t.UpdatedAt);
        try
        {
            await cmd.ExecuteNonQueryAsync();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return TagWrite.NameTaken;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return TagWrite.ParentMissing;
        }
        await tx.CommitAsync();
        return TagWrite.Saved;
    }

    /// <summary>
    /// Deletes the tag and detaches it from every call (the foreign key cascades), unless it has child tags:
    /// then nothing is deleted and their names come back.
    /// </summary>
    public async Task<string[]> TryDeleteAsync(string tenant, Guid id)
    {
        while (true)
        {
            await using (var cmd = db.CreateCommand("DELETE FROM tags WHERE tenant = $1 AND id = $2"))
            {
                cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(id);
                try
                {
                    await cmd.ExecuteNonQueryAsync();
                    return [];
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
                {
                }
            }
            await using var names = db.CreateCommand("SELECT name FROM tags WHERE tenant = $1 AND parent_id = $2 ORDER BY lower(name), id");
            names.Parameters.AddWithValue(tenant); names.Parameters.AddWithValue(id);
            var children = new List<string>();
            await using var reader = await names.ExecuteReaderAsync();
            while (await reader.ReadAsync()) children.Add(reader.GetString(0));
            // Empty: the last child moved away between the refusal and this read, so deleting is tried again.
            if (children.Count > 0) return [.. children];
        }
    }

    public async Task<long> UsageCountAsync(string tenant, Guid id)
    {
        await using var cmd = db.CreateCommand("SELECT count(*) FROM call_tags WHERE tenant = $1 AND tag_id = $2");
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(id);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    public Task<Page<Tag>> ListAsync(string tenant, string? search, Guid? parentId, ListRequest list) =>
        db.PageAsync("tags t", new SqlWhere(tenant, "t.tenant")
                .AddIf(!string.IsNullOrWhiteSpace(search), "t.name ILIKE {0}", $"%{Like.Escape(search)}%")
                .AddIf(parentId is not null, "t.parent_id = {0}", parentId ?? Guid.Empty),
            list, Columns, Map, "t.id");

    /// <summary>Every tag of the tenant, by name: the tree is built from them.</summary>
    public async Task<List<Tag>> AllAsync(string tenant)
    {
        await using var cmd = db.CreateCommand($"SELECT {Columns} FROM tags t WHERE t.tenant = $1 ORDER BY lower(t.name), t.id");
        cmd.Parameters.AddWithValue(tenant);
        var tags = new List<Tag>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) tags.Add(Map(reader));
        return tags;
    }

    /// <summary>Puts the tag on the call; false when it was already there. Null when the tag is not one of the tenant's.</summary>
    public async Task<bool?> TagCallAsync(string tenant, Guid callId, Guid tagId, Guid userId)
    {
        await using var cmd = db.CreateCommand(
            "INSERT INTO call_tags (tenant, call_id, tag_id, user_id) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING");
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(callId); cmd.Parameters.AddWithValue(tagId); cmd.Parameters.AddWithValue(userId);
        try
        {
            return await cmd.ExecuteNonQueryAsync() == 1;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation && e.ConstraintName == "call_tags_tag_fk")
        {
            return null;
        }
    }

    /// <summary>Takes the tag off the call; false when the call did not carry it.</summary>
    public async Task<bool> UntagCallAsync(string tenant, Guid callId, Guid tagId)
    {
        await using var cmd = db.CreateCommand("DELETE FROM call_tags WHERE tenant = $1 AND call_id = $2 AND tag_id = $3");
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(callId); cmd.Parameters.AddWithValue(tagId);
        return await cmd.ExecuteNonQueryAsync() == 1;
    }

    public Task<Page<Tag>> OfCallAsync(string tenant, Guid callId, ListRequest list) =>
        db.PageAsync("tags t", new SqlWhere(tenant, "t.tenant")
                .Add("EXISTS (SELECT 1 FROM call_tags ct WHERE ct.tenant = t.tenant AND ct.tag_id = t.id AND ct.call_id = {0})", callId),
            list, Columns, Map, "t.id");

    /// <summary>The tags of each of these calls, by name.</summary>
    public async Task<Dictionary<Guid, List<CallTag>>> OfCallsAsync(string tenant, IReadOnlyCollection<Guid> callIds)
    {
        var byCall = callIds.Distinct().ToDictionary(id => id, _ => new List<CallTag>());
        if (byCall.Count == 0) return byCall;
        await using var cmd = db.CreateCommand("""
            SELECT ct.call_id, t.id, t.name, t.color, t.parent_id FROM call_tags ct JOIN tags t ON t.tenant = ct.tenant AND t.id = ct.tag_id
            WHERE ct.tenant = $1 AND ct.call_id = ANY($2) ORDER BY lower(t.name), t.id
            """);
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(byCall.Keys.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            byCall[reader.GetGuid(0)].Add(new CallTag(reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetGuid(4)));
        return byCall;
    }

    private static Tag Map(NpgsqlDataReader r) => new()
    {
        Id = r.Get<Guid>("id"),
        Name = r.Get<string>("name"),
        Color = r.Get<string>("color"),
        ParentId = r.Nullable<Guid>("parent_id"),
        UsageCount = r.Get<long>("usage_count"),
        InsertedAt = r.Utc("inserted_at"),
        UpdatedAt = r.Utc("updated_at"),
    };
}
