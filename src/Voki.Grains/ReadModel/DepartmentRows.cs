using Npgsql;
using Voki.Grains.Model;

namespace Voki.Grains.ReadModel;

/// <summary>How writing a department's row went.</summary>
public enum DepartmentWrite { Saved, IdentifierTaken, SectorMissing }

public sealed class DepartmentRows(NpgsqlDataSource db)
{
    private const string Columns = "d.id, d.name, d.identifier, d.description, d.active, d.sector_id, d.max_queue_size, d.max_wait_time, d.inserted_at, d.updated_at, " +
        "(SELECT count(*) FROM department_members m JOIN users u ON u.tenant = m.tenant AND u.id = m.user_id " +
        "WHERE m.tenant = d.tenant AND m.department_id = d.id AND u.active) AS user_count";

    /// <summary>Writes the row, unless the identifier is taken in the tenant or the sector is not one of the tenant's.</summary>
    public async Task<DepartmentWrite> TryUpsertAsync(string tenant, Department d)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO departments (tenant, id, name, identifier, description, active, sector_id, max_queue_size, max_wait_time, inserted_at, updated_at)
            VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
            ON CONFLICT (tenant, id) DO UPDATE SET name = EXCLUDED.name, identifier = EXCLUDED.identifier, description = EXCLUDED.description,
              active = EXCLUDED.active, sector_id = EXCLUDED.sector_id, max_queue_size = EXCLUDED.max_queue_size,
              max_wait_time = EXCLUDED.max_wait_time, updated_at = EXCLUDED.updated_at
            """);
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(d.Id);
        cmd.Parameters.AddWithValue(d.Name);
        cmd.Parameters.AddWithValue(d.Identifier);
        cmd.Parameters.AddWithValue(d.Description.Db());
        cmd.Parameters.AddWithValue(d.Active);
        cmd.Parameters.AddWithValue(d.SectorId.Db());
        cmd.Parameters.AddWithValue(d.MaxQueueSize.Db());
        cmd.Parameters.AddWithValue(d.MaxWaitTime.Db());
        cmd.Parameters.AddWithValue(d.InsertedAt);
        cmd.Parameters.AddWithValue(d.UpdatedAt);
        try
        {
            await cmd.ExecuteNonQueryAsync();
            return DepartmentWrite.Saved;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return DepartmentWrite.IdentifierTaken;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation && e.ConstraintName == "departments_sector_fk")
        {
            return DepartmentWrite.SectorMissing;
        }
    }

    /// <summary>The tenant's identifiers that are <paramref name="stem"/> itself or the stem with a numeric suffix.</summary>
    public async Task<HashSet<string>> IdentifiersLikeAsync(string tenant, string stem)
    {
        await using var cmd = db.CreateCommand("SELECT identifier FROM departments WHERE tenant = $1 AND (identifier = $2 OR identifier LIKE $3)");
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(stem);
        cmd.Parameters.AddWithValue(Like.Escape(stem) + "-%");
        var taken = new HashSet<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) taken.Add(reader.GetString(0));
        return taken;
    }

    public async Task DeleteAsync(string tenant, Guid id)
    {
        await using var batch = db.CreateBatch();
        foreach (var sql in new[] { "DELETE FROM department_members WHERE tenant = $1 AND department_id = $2", "DELETE FROM departments WHERE tenant = $1 AND id = $2" })
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.AddWithValue(tenant);
            command.Parameters.AddWithValue(id);
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync();
    }

    public async Task SetMemberAsync(string tenant, Guid departmentId, Guid userId, bool member)
    {
        await using var cmd = db.CreateCommand(member
            ? "INSERT INTO department_members (tenant, department_id, user_id) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING"
            : "DELETE FROM department_members WHERE tenant = $1 AND department_id = $2 AND user_id = $3");
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(departmentId);
        cmd.Parameters.AddWithValue(userId);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<bool> IsActiveMemberAsync(string tenant, Guid departmentId, Guid userId)
    {
        await using var cmd = db.CreateCommand("""
            SELECT 1 FROM department_members m JOIN users u ON u.tenant = m.tenant AND u.id = m.user_id
            WHERE m.tenant = $1 AND m.department_id = $2 AND m.user_id = $3 AND u.active
            """);
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(departmentId);
        cmd.Parameters.AddWithValue(userId);
        return await cmd.ExecuteScalarAsync() is not null;
    }

    public async Task<Guid[]> DepartmentsOfAsync(string tenant, Guid userId)
    {
        await using var cmd = db.CreateCommand("SELECT department_id FROM department_members WHERE tenant = $1 AND user_id = $2");
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(userId);
        var ids = new List<Guid>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
        return [.. ids];
    }

    public async Task<long> CountActiveAsync(string tenant)
    {
        await using var cmd = db.CreateCommand("SELECT count(*) FROM departments WHERE tenant = $1 AND active");
        cmd.Parameters.AddWithValue(tenant);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task<long> CountActiveMembersAsync(string tenant, Guid departmentId)
    {
        await using var cmd = db.CreateCommand("""
            SELECT count(*) FROM department_members m JOIN users u ON u.tenant = m.tenant AND u.id = m.user_id
            WHERE m.tenant = $1 AND m.department_id = $2 AND u.active
            """);
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(departmentId);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    public Task<Page<Department>> ListAsync(string tenant, bool? active, ListRequest list) =>
        db.PageAsync("departments d", new SqlWhere(tenant, "d.tenant").AddIf(active is not null, "d.active = {0}", active ?? false),
            list, Columns, Map, "d.id");

    private static Department Map(NpgsqlDataReader r) => new()
    {
        Id = r.Get<Guid>("id"),
        Name = r.Get<string>("name"),
        Identifier = r.Get<string>("identifier"),
        Description = r.Text("description"),
        Active = r.Get<bool>("active"),
        SectorId = r.Nullable<Guid>("sector_id"),
        MaxQueueSize = r.Nullable<int>("max_queue_size"),
        MaxWaitTime = r.Nullable<int>("max_wait_time"),
        UserCount = (int)r.Get<long>("user_count"),
        InsertedAt = r.Utc("inserted_at"),
        UpdatedAt = r.Utc("updated_at"),
    };
}
