using Npgsql;
using Voki.Grains.Model;

namespace Voki.Grains.ReadModel;

public sealed class SectorRows(NpgsqlDataSource db)
{
    private const string Columns = "s.id, s.name, s.description, s.active, s.inserted_at, s.updated_at, " +
        "(SELECT count(*) FROM departments d WHERE d.tenant = s.tenant AND d.sector_id = s.id) AS department_count";

    /// <summary>Writes the row; false when another sector of the tenant has the name.</summary>
    public async Task<bool> TryUpsertAsync(string tenant, Sector s)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO sectors (tenant, id, name, description, active, inserted_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7)
            ON CONFLICT (tenant, id) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, active = EXCLUDED.active,
              updated_at = EXCLUDED.updated_at
            """);
        var p = cmd.Parameters;
        p.AddWithValue(tenant); p.AddWithValue(s.Id); p.AddWithValue(s.Name); p.AddWithValue(s.Description.Db());
        p.AddWithValue(s.Active); p.AddWithValue(s.InsertedAt); p.AddWithValue(s.UpdatedAt);
        try
        {
            await cmd.ExecuteNonQueryAsync();
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return false;
        }
    }

    /// <summary>
    /// Deletes the row unless departments still name the sector: then nothing is deleted and their names come back.
    /// The foreign key decides, so a department joining the sector meanwhile on another node is never orphaned.
    /// </summary>
    public async Task<string[]> TryDeleteAsync(string tenant, Guid id)
    {
        while (true)
        {
            await using (var cmd = db.CreateCommand("DELETE FROM sectors WHERE tenant = $1 AND id = $2"))
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
            await using var names = db.CreateCommand("SELECT name FROM departments WHERE tenant = $1 AND sector_id = $2 ORDER BY lower(name), id");
            names.Parameters.AddWithValue(tenant); names.Parameters.AddWithValue(id);
            var blocking = new List<string>();
            await using var reader = await names.ExecuteReaderAsync();
            while (await reader.ReadAsync()) blocking.Add(reader.GetString(0));
            // Empty: the last department left the sector between the refusal and this read, so deleting is tried again.
            if (blocking.Count > 0) return [.. blocking];
        }
    }

    public async Task<int> DepartmentCountAsync(string tenant, Guid id)
    {
        await using var cmd = db.CreateCommand("SELECT count(*) FROM departments WHERE tenant = $1 AND sector_id = $2");
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(id);
        return (int)(long)(await cmd.ExecuteScalarAsync())!;
    }

    public Task<Page<Sector>> ListAsync(string tenant, bool? active, string? search, ListRequest list) =>
        db.PageAsync("sectors s", new SqlWhere(tenant, "s.tenant")
                .AddIf(active is not null, "s.active = {0}", active ?? false)
                .AddIf(!string.IsNullOrWhiteSpace(search), "s.name ILIKE {0}", $"%{Like.Escape(search)}%"),
            list, Columns, Map, "s.id");

    private static Sector Map(NpgsqlDataReader r) => new()
    {
        Id = r.Get<Guid>("id"),
        Name = r.Get<string>("name"),
        Description = r.Text("description"),
        Active = r.Get<bool>("active"),
        DepartmentCount = (int)r.Get<long>("department_count"),
        InsertedAt = r.Utc("inserted_at"),
        UpdatedAt = r.Utc("updated_at"),
    };
}
