using Npgsql;
using Voki.Grains.Model;

namespace Voki.Grains.ReadModel;

public sealed record UserFilter(string? Search, Role? Role, bool? Active);

public sealed class UserRows(NpgsqlDataSource db)
{
    private const string Columns = "id, name, email, role, active, avatar_url, locale, inserted_at, updated_at, mfa_enabled";

    /// <summary>Writes the row; false when the e-mail is already taken in the tenant.</summary>
    public async Task<bool> TryUpsertAsync(string tenant, User user)
    {
        await using var cmd = db.CreateCommand($"""
            INSERT INTO users (tenant, {Columns}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
            ON CONFLICT (tenant, id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, role = EXCLUDED.role,
              active = EXCLUDED.active, avatar_url = EXCLUDED.avatar_url, locale = EXCLUDED.locale, updated_at = EXCLUDED.updated_at,
              mfa_enabled = EXCLUDED.mfa_enabled
            """);
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(user.Id);
        cmd.Parameters.AddWithValue(user.Name);
        cmd.Parameters.AddWithValue(user.Email);
        cmd.Parameters.AddWithValue(user.Role.Name());
        cmd.Parameters.AddWithValue(user.Active);
        cmd.Parameters.AddWithValue(user.AvatarUrl.Db());
        cmd.Parameters.AddWithValue(user.Locale);
        cmd.Parameters.AddWithValue(user.InsertedAt);
        cmd.Parameters.AddWithValue(user.UpdatedAt);
        cmd.Parameters.AddWithValue(user.MfaEnabled);
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

    public async Task<Guid?> FindIdByEmailAsync(string tenant, string email)
    {
        await using var cmd = db.CreateCommand("SELECT id FROM users WHERE tenant = $1 AND lower(email) = lower($2)");
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(email);
        return await cmd.ExecuteScalarAsync() as Guid?;
    }

    public async Task<long> CountActiveAsync(string tenant)
    {
        await using var cmd = db.CreateCommand("SELECT count(*) FROM users WHERE tenant = $1 AND active");
        cmd.Parameters.AddWithValue(tenant);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    public Task<Page<User>> ListAsync(string tenant, UserFilter filter, ListRequest list)
    {
        var where = new SqlWhere(tenant)
            .AddIf(!string.IsNullOrWhiteSpace(filter.Search), "(name ILIKE {0} OR email ILIKE {0})", $"%{Like.Escape(filter.Search)}%")
            .AddIf(filter.Role is not null, "role = {0}", filter.Role?.Name() ?? "")
            .AddIf(filter.Active is not null, "active = {0}", filter.Active ?? false);
        return db.PageAsync("users", where, list, Columns, Map);
    }

    public Task<Page<User>> ListMembersAsync(string tenant, Guid departmentId, ListRequest list) =>
        db.PageAsync("users u JOIN department_members m ON m.tenant = u.tenant AND m.user_id = u.id",
            new SqlWhere(tenant, "u.tenant").Add("m.department_id = {0}", departmentId), list,
            string.Join(", ", Columns.Split(", ").Select(c => "u." + c)), Map, "u.id");

    internal static User Map(NpgsqlDataReader r) => new()
    {
        Id = r.Get<Guid>("id"),
        Name = r.Get<string>("name"),
        Email = r.Get<string>("email"),
        Role = Roles.TryParse(r.Get<string>("role"), out var role) ? role : Role.Attendant,
        Active = r.Get<bool>("active"),
        AvatarUrl = r.Text("avatar_url"),
        Locale = r.Get<string>("locale"),
        InsertedAt = r.Utc("inserted_at"),
        UpdatedAt = r.Utc("updated_at"),
        MfaEnabled = r.Get<bool>("mfa_enabled"),
    };
}

internal static class Like
{
    public static string Escape(string? text) =>
        (text ?? "").Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
