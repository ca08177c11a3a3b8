using System.Globalization;
using CsvHelper;

namespace Voki.Api.Infrastructure;

/// <summary>
/// A CSV download (reference §2.14) written to the response while its rows are read from the database: only the
/// writer's buffer (64 KiB) is ever held, whatever the size of the export. RFC 4180: CRLF line ends; a cell with a
/// comma, a quote or a line break is quoted, its quotes doubled. A text cell that starts with <c>=</c>, <c>+</c>,
/// <c>-</c>, <c>@</c>, a tab or a carriage return gets a leading <c>'</c> (and quotes), so a spreadsheet shows it as
/// text instead of running it as a formula: a phone number <c>+5511…</c> reads <c>"'+5511…"</c>.
/// </summary>
public static class CsvResponse
{
    public const string ContentType = "text/csv; charset=utf-8";

    private static readonly CsvWriterOptions Options = CsvWriterOptions.Default with { Injection = CsvInjection.Escape };

    public static IResult Stream<T>(HttpContext http, string fileName, IReadOnlyList<string> header, IAsyncEnumerable<T> rows, Func<T, string?[]> cells)
    {
        var cancellation = http.RequestAborted;
        return Results.Stream(async body =>
        {
            try
            {
                await using var csv = CsvWriter.Create(body, Options, leaveOpen: true);
                await csv.WriteRecordAsync([.. header], cancellation);
                // The header goes out at once: the client sees the download begin before the first row is read.
                await csv.FlushAsync(cancellation);
                await foreach (var row in rows.WithCancellation(cancellation)) await csv.WriteRecordAsync(cells(row), cancellation);
                await csv.FlushAsync(cancellation);
            }
            catch when (!cancellation.IsCancellationRequested)
            {
                // The status line has gone out: only a broken connection tells the client the file is incomplete,
                // where an orderly end would pass a truncated export off as whole.
                http.Abort();
                throw;
            }
        }, ContentType, fileName);
    }

    public static string? Cell(DateTime? t) => t?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string? Cell(int? n) => n?.ToString(CultureInfo.InvariantCulture);
}
