using Npgsql;

namespace Voki.Grains.ReadModel;

/// <summary>A supervisor's or manager's note on a call; <c>UserName</c> is the author's current name.</summary>
public sealed record ManagerNote(Guid Id, Guid CallId, Guid UserId, string? UserName, string Content, DateTime InsertedAt);

/// <summary>Manager notes only ever accumulate on a call: rows written once, read with the call.</summary>
public sealed class ManagerNoteRows(NpgsqlDataSource db)
{
    public async Task<ManagerNote> AddAsync(string tenant, Guid callId, Guid userId, string content)
    {
        var note = new ManagerNote(Guid.NewGuid(), callId, userId, null, content, Clock.Now());
        await using var cmd = db.CreateCommand("""
            WITH added AS (INSERT INTO call_manager_notes (tenant, id, call_id, user_id, content, inserted_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING tenant, user_id)
            SELECT u.name FROM added LEFT JOIN users u ON u.tenant = added.tenant AND u.id = added.user_id
            """);
        var p = cmd.Parameters;
        p.AddWithValue(tenant); p.AddWithValue(note.Id); p.AddWithValue(callId); p.AddWithValue(userId); p.AddWithValue(content); p.AddWithValue(note.InsertedAt);
        return note with { UserName = await cmd.ExecuteScalarAsync() as string };
    }

    /// <summary>The notes of each of these calls, oldest first.</summary>
    public async Task<Dictionary<Guid, List<ManagerNote>>> OfCallsAsync(string tenant, IReadOnlyCollection<Guid> callIds)
    {
        var byCall = callIds.Distinct().ToDictionary(id => id, _ => new List<ManagerNote>());
        if (byCall.Count == 0) return byCall;
        await using var cmd = db.CreateCommand("""
            SELECT n.id, n.call_id, n.user_id, u.name, n.content, n.inserted_at FROM call_manager_notes n
            LEFT JOIN users u ON u.tenant = n.tenant AND u.id = n.user_id
            WHERE n.tenant = $1 AND n.call_id = ANY($2) ORDER BY n.position
            """);
        cmd.Parameters.AddWithValue(tenant); cmd.Parameters.AddWithValue(byCall.Keys.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            byCall[reader.GetGuid(1)].Add(new ManagerNote(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4), reader.GetFieldValue<DateTime>(5)));
        return byCall;
    }
}
