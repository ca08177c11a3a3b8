using System.Runtime.CompilerServices;
using Npgsql;

namespace Voki.Grains.ReadModel;

internal static class RowReader
{
    public static T? Nullable<T>(this NpgsqlDataReader reader, string column) where T : struct
    {
        var ordinal = reader.GetOrdinal(column);
        return reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<T>(ordinal);
    }

    public static string? Text(this NpgsqlDataReader reader, string column)
    {
        var ordinal = reader.GetOrdinal(column);
        return reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
    }

    public static T Get<T>(this NpgsqlDataReader reader, string column) => reader.GetFieldValue<T>(reader.GetOrdinal(column));

    public static DateTime Utc(this NpgsqlDataReader reader, string column) => reader.GetFieldValue<DateTime>(reader.GetOrdinal(column));

    public static object Db(this object? value) => value ?? DBNull.Value;

    public static async Task<Page<T>> PageAsync<T>(
        this NpgsqlDataSource db, string from, SqlWhere where, ListRequest list, string select,
        Func<NpgsqlDataReader, T> map, string tieBreaker = "id")
    {
        await using var connection = await db.OpenConnectionAsync();
        long total;
        await using (var count = new NpgsqlCommand($"SELECT count(*) FROM {from} {where}", connection))
        {
            where.BindTo(count);
            total = (long)(await count.ExecuteScalarAsync())!;
        }
        var items = new List<T>();
        await using (var query = new NpgsqlCommand(
            $"SELECT {select} FROM {from} {where} ORDER BY {list.OrderBy(tieBreaker)} LIMIT {list.PageSize} OFFSET {list.Offset}", connection))
        {
            where.BindTo(query);
            await using var reader = await query.ExecuteReaderAsync();
            while (await reader.ReadAsync()) items.Add(map(reader));
        }
        return new Page<T>(items, list.Page, list.PageSize, total);
    }

    /// <summary>
    /// Every row, in order, as the database hands them over: nothing is gathered, so an export of any size holds
    /// one row at a time (the reader waits while the consumer does, and the database with it).
    /// </summary>
    public static async IAsyncEnumerable<T> StreamAsync<T>(
        this NpgsqlDataSource db, string from, SqlWhere where, string select, string orderBy,
        Func<NpgsqlDataReader, T> map, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        await using var connection = await db.OpenConnectionAsync(cancellation);
        await using var query = new NpgsqlCommand($"SELECT {select} FROM {from} {where} ORDER BY {orderBy}", connection);
        where.BindTo(query);
        await using var reader = await query.ExecuteReaderAsync(cancellation);
        while (await reader.ReadAsync(cancellation)) yield return map(reader);
    }
}
