using Npgsql;

namespace Voki.Tests.Infrastructure;

/// <summary>
/// A fresh database on the PostgreSQL that `./voki test` starts (VOKI_TEST_PG), dropped afterwards.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public string Name { get; }
    public string ConnectionString { get; }

    private TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
    }

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable("VOKI_TEST_PG")
        ?? throw new InvalidOperationException("VOKI_TEST_PG is not set: run the suite with ./voki test, which starts its PostgreSQL.");

    public static async Task<TestDatabase> CreateAsync()
    {
        var name = $"voki_test_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(ServerConnectionString + ";Database=postgres"))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        return new TestDatabase(name, $"{ServerConnectionString};Database={name};Maximum Pool Size=50");
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(ServerConnectionString + ";Database=postgres");
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
