using Npgsql;
using Voki.Grains.Model;

namespace Voki.Grains.ReadModel;

public sealed class CompanyRows(NpgsqlDataSource db)
{
    /// <summary>Claims the slug; false when another tenant already has it.</summary>
    public async Task<bool> TryInsertAsync(Company company)
    {
        await using var cmd = db.CreateCommand(
            "INSERT INTO companies (slug, id, name, plan, inserted_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (slug) DO NOTHING");
        cmd.Parameters.AddWithValue(company.Slug);
        cmd.Parameters.AddWithValue(company.Id);
        cmd.Parameters.AddWithValue(company.Name);
        cmd.Parameters.AddWithValue(company.Plan);
        cmd.Parameters.AddWithValue(company.InsertedAt);
        cmd.Parameters.AddWithValue(company.UpdatedAt);
        return await cmd.ExecuteNonQueryAsync() == 1;
    }

    public async Task UpdateAsync(Company company)
    {
        await using var cmd = db.CreateCommand("UPDATE companies SET name = $2, plan = $3, updated_at = $4 WHERE slug = $1");
        cmd.Parameters.AddWithValue(company.Slug);
        cmd.Parameters.AddWithValue(company.Name);
        cmd.Parameters.AddWithValue(company.Plan);
        cmd.Parameters.AddWithValue(company.UpdatedAt);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<bool> ExistsAsync(string slug)
    {
        await using var cmd = db.CreateCommand("SELECT 1 FROM companies WHERE slug = $1");
        cmd.Parameters.AddWithValue(slug);
        return await cmd.ExecuteScalarAsync() is not null;
    }

    /// <summary>Usage figures for the billing plan: what counts against the plan's limits.</summary>
    public async Task<(long ActiveUsers, long ActiveDepartments, long CallsThisMonth)> UsageAsync(string tenant, DateTime monthStart)
    {
        await using var cmd = db.CreateCommand("""
            SELECT (SELECT count(*) FROM users WHERE tenant = $1 AND active),
                   (SELECT count(*) FROM departments WHERE tenant = $1 AND active),
                   (SELECT count(*) FROM calls WHERE tenant = $1 AND inserted_at >= $2)
            """);
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(monthStart);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }
}
