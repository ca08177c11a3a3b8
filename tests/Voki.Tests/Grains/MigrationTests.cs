using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Voki.Silo;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Grains;

/// <summary>Nodes that start together all migrate the same database: the schema must come out whole and recorded once.</summary>
public sealed class MigrationTests
{
    [Fact]
    public async Task Nodes_migrating_a_fresh_database_at_once_apply_every_migration_exactly_once()
    {
        await using var database = await TestDatabase.CreateAsync();
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() =>
            DatabaseMigrator.MigrateAsync(database.ConnectionString, NullLogger.Instance))));
        await DatabaseMigrator.MigrateAsync(database.ConnectionString, NullLogger.Instance); // and again, later

        var expected = DatabaseMigrator.Scripts().Select(s => s.Version).ToArray();
        Assert.Contains("0001_orleans_main", expected);
        Assert.Contains("0010_voki_read_model", expected);
        var recorded = new List<(string Version, long Count)>();
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using (var read = new NpgsqlCommand("SELECT version, count(*) FROM voki_schema_migrations GROUP BY version ORDER BY version", connection))
        await using (var reader = await read.ExecuteReaderAsync())
            while (await reader.ReadAsync()) recorded.Add((reader.GetString(0), reader.GetInt64(1)));
        Assert.Equal(expected.Select(v => (v, 1L)), recorded);

        // The providers find their named queries exactly once each.
        await using var queries = new NpgsqlCommand("SELECT count(*), count(DISTINCT QueryKey) FROM OrleansQuery", connection);
        await using var counts = await queries.ExecuteReaderAsync();
        Assert.True(await counts.ReadAsync());
        Assert.True(counts.GetInt64(0) > 10);
        Assert.Equal(counts.GetInt64(0), counts.GetInt64(1));
    }

    [Fact]
    public async Task Every_migration_script_can_run_again_over_itself()
    {
        // Each script's header promises "Idempotent: safe to run more than once", so an operator may
        // re-apply one by hand; hold every script to it.
        await using var database = await TestDatabase.CreateAsync();
        await DatabaseMigrator.MigrateAsync(database.ConnectionString, NullLogger.Instance);
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        foreach (var (version, sql) in DatabaseMigrator.Scripts())
        {
            await using var again = new NpgsqlCommand(sql, connection);
            var error = await Record.ExceptionAsync(() => again.ExecuteNonQueryAsync());
            Assert.True(error is null, $"{version} failed the second time: {error?.Message}");
        }
    }
}
