using Npgsql;
using Voki.Grains.Security;

namespace Voki.Grains.ReadModel;

public sealed record PasswordResetGrant(string Tenant, Guid UserId);

/// <summary>
/// The tokens of forgot-password mails: 256 random bits, stored only as SHA-256 hashes (a database reader learns no
/// usable token), each good once and until it expires. A password change spends every outstanding token of the user.
/// </summary>
public sealed class PasswordResetStore(NpgsqlDataSource db)
{
    public async Task<string> IssueAsync(string tenant, Guid userId, TimeSpan lifetime)
    {
        var token = OpaqueToken.New();
        await using var cmd = db.CreateCommand("INSERT INTO password_reset_tokens (token_hash, tenant, user_id, expires_at) VALUES ($1,$2,$3,$4)");
        cmd.Parameters.AddWithValue(Hash(token));
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(userId);
        cmd.Parameters.AddWithValue(DateTime.UtcNow + lifetime);
        await cmd.ExecuteNonQueryAsync();
        return token;
    }

    /// <summary>
    /// Spends the token and returns whose it was; null when it is unknown, expired, already spent, or (with a tenant)
    /// another tenant's, which is then left unspent.
    /// </summary>
    public async Task<PasswordResetGrant?> ConsumeAsync(string token, string? tenant = null)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE password_reset_tokens SET used_at = now()
            WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() AND ($2::text IS NULL OR tenant = $2)
            RETURNING tenant, user_id
            """);
        cmd.Parameters.AddWithValue(Hash(token));
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)tenant ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var reader = await cmd.ExecuteReaderAsync();
        return await reader.ReadAsync() ? new PasswordResetGrant(reader.GetString(0), reader.GetGuid(1)) : null;
    }

    /// <summary>Spends every outstanding token of the user: a mail sent before the password changed no longer resets it.</summary>
    public async Task<int> RevokeUserAsync(string tenant, Guid userId)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE password_reset_tokens SET used_at = now() WHERE tenant = $1 AND user_id = $2 AND used_at IS NULL
            """);
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(userId);
        return await cmd.ExecuteNonQueryAsync();
    }

    public static byte[] Hash(string token) => OpaqueToken.Hash(token);
}
