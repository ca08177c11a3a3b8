using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Voki.Silo;

/// <summary>
/// Applies the embedded Migrations/*.sql in name order, each once, recording them in
/// voki_schema_migrations. A session advisory lock makes nodes that start together take turns.
/// </summary>
public static class DatabaseMigrator
{
    private const long LockKey = 0x566F6B694D6967; // "VokiMig"

    public static async Task MigrateAsync(string connectionString, ILogger logger, CancellationToken cancellation = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellation);
        await Execute(connection, $"SELECT pg_advisory_lock({LockKey})", cancellation);
        try
        {
            await Execute(connection, """
                CREATE TABLE IF NOT EXISTS voki_schema_migrations (
                    version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                """, cancellation);
            var applied = new HashSet<string>();
            await using (var read = new NpgsqlCommand("SELECT version FROM voki_schema_migrations", connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellation))
                while (await reader.ReadAsync(cancellation)) applied.Add(reader.GetString(0));

            foreach (var (version, sql) in Scripts().Where(s => !applied.Contains(s.Version)))
            {
                await using var tx = await connection.BeginTransactionAsync(cancellation);
                await using (var apply = new NpgsqlCommand(sql, connection, tx)) await apply.ExecuteNonQueryAsync(cancellation);
                await using (var record = new NpgsqlCommand("INSERT INTO voki_schema_migrations (version) VALUES ($1)", connection, tx))
                {
                    record.Parameters.AddWithValue(version);
                    await record.ExecuteNonQueryAsync(cancellation);
                }
                await tx.CommitAsync(cancellation);
                logger.LogInformation("Applied migration {Version}", version);
            }
        }
        finally
        {
            await Execute(connection, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    public static IEnumerable<(string Version, string Sql)> Scripts()
    {
        var assembly = typeof(DatabaseMigrator).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => (Version: VersionOf(n), Resource: n))
            .OrderBy(s => s.Version, StringComparer.Ordinal)
            .Select(s => (s.Version, Read(assembly, s.Resource)));
    }

    // Resource names look like "Voki.Silo.Migrations.0001_orleans_main.sql".
    private static string VersionOf(string resource)
    {
        var withoutExtension = resource[..^".sql".Length];
        return withoutExtension[(withoutExtension.LastIndexOf(".Migrations.", StringComparison.Ordinal) + ".Migrations.".Length)..];
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellation)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellation);
    }
}
