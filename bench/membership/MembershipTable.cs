using Npgsql;

namespace Voki.Bench.Membership;

/// <summary>One silo's row in Orleans' ADO.NET membership table (Status: 3 Active, 6 Dead; SuspectTimes: the votes).</summary>
public sealed record SiloRow(string Address, int Port, int Generation, int Status, string? SuspectTimes)
{
    public const int Active = 3;
    public const int Dead = 6;

    public string Silo => $"{Address}:{Port}@{Generation}";

    /// <summary>The votes, "S127.0.0.1:21001:431432, 2026-12-02 13:40:01.123 GMT|…": one entry per suspecting silo.</summary>
    public IReadOnlyList<string> Votes => string.IsNullOrEmpty(SuspectTimes) ? [] : SuspectTimes.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Reads the cluster's rows of OrleansMembershipTable, the record of who is alive that every silo acts on.</summary>
public sealed class MembershipTable(NpgsqlDataSource database, string clusterId)
{
    public async Task<IReadOnlyList<SiloRow>> ReadAsync(CancellationToken ct = default)
    {
        await using var command = database.CreateCommand(
            "SELECT address, port, generation, status, suspecttimes FROM orleansmembershiptable WHERE deploymentid = $1");
        command.Parameters.AddWithValue(clusterId);
        var rows = new List<SiloRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            rows.Add(new SiloRow(reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        return rows;
    }

    /// <summary>The row of the silo listening on <paramref name="siloPort"/> (each start gets fresh ports, so one row).</summary>
    public async Task<SiloRow?> RowOfAsync(int siloPort, CancellationToken ct = default) =>
        (await ReadAsync(ct)).Where(r => r.Port == siloPort).MaxBy(r => r.Generation);
}
