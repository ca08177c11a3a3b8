using Npgsql;
using Voki.Grains.Security;

namespace Voki.Grains.ReadModel;

public sealed record RefreshGrant(string Tenant, Guid UserId, Guid FamilyId);

/// <summary>
/// Opaque refresh tokens, stored only as SHA-256 hashes. Each use rotates the token; presenting one
/// that was already rotated means it leaked, so the whole family is revoked.
/// </summary>
public sealed class RefreshTokenStore(NpgsqlDataSource db)
{
    public async Task<string> IssueAsync(string tenant, Guid userId, Guid familyId, TimeSpan lifetime)
    {
        var token = OpaqueToken.New();
        await using var cmd = db.CreateCommand("INSERT INTO refresh_tokens (token_hash, family_id, tenant, user_id, expires_at) VALUES ($1,$2,$3,$4,$5)");
        cmd.Parameters.AddWithValue(Hash(token));
        cmd.Parameters.AddWithValue(familyId);
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(userId);
        cmd.Parameters.AddWithValue(DateTime.UtcNow + lifetime);
        await cmd.ExecuteNonQueryAsync();
        return token;
    }

    /// <summary>Marks the token used and returns its grant; null when it is unknown, expired, revoked or reused.</summary>
    public async Task<RefreshGrant?> ConsumeAsync(string token)
    {
        var hash = Hash(token);
        await using (var use = db.CreateCommand("""
            UPDATE refresh_tokens SET used_at = now()
            WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
            RETURNING tenant, user_id, family_id
            """))
        {
            use.Parameters.AddWithValue(hash);
            await using var reader = await use.ExecuteReaderAsync();
            if (await reader.ReadAsync()) return new RefreshGrant(reader.GetString(0), reader.GetGuid(1), reader.GetGuid(2));
        }
        await using var reuse = db.CreateCommand("""
            UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL
              AND family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND used_at IS NOT NULL)
            """);
        reuse.Parameters.AddWithValue(hash);
        await reuse.ExecuteNonQueryAsync();
        return null;
    }

    /// <summary>The family the token belongs to, used or not; null when it is unknown.</summary>
    public async Task<Guid?> FamilyOfAsync(string token)
    {
        await using var cmd = db.CreateCommand("SELECT family_id FROM refresh_tokens WHERE token_hash = $1");
        cmd.Parameters.AddWithValue(Hash(token));
        return await cmd.ExecuteScalarAsync() is Guid family ? family : null;
    }

    /// <summary>Revokes the family of the given token; false when the token is unknown.</summary>
    public async Task<bool> RevokeFamilyAsync(string token)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, now())
            WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)
            """);
        cmd.Parameters.AddWithValue(Hash(token));
        return await cmd.ExecuteNonQueryAsync() > 0;
    }

    /// <summary>Revokes every family of the user: every device signed in as them must sign in again.</summary>
    public async Task<int> RevokeUserAsync(string tenant, Guid userId)
    {
        await using var cmd = db.CreateCommand("""
            UPDATE refresh_tokens SET revoked_at = now() WHERE tenant = $1 AND user_id = $2 AND revoked_at IS NULL
            """);
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(userId);
        return await cmd.ExecuteNonQueryAsync();
    }

    private static byte[] Hash(string token) => OpaqueToken.Hash(token);
}
