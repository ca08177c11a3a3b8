using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Xunit.Abstractions;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

/// <summary>A node of its own on a real port, and nothing else running beside it: the streaming test weighs the process's memory.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExportCollection : ICollectionFixture<KestrelVokiApp>
{
    public const string Name = "export";
}

/// <summary>CSV export (reference §2.14), through a real HTTP client against Kestrel.</summary>
[Collection(ExportCollection.Name)]
public sealed class ExportTests(KestrelVokiApp app, ITestOutputHelper output)
{
    private const string CallHeader = "id,status,department,attendant,customer_name,customer_email,duration,wait_time,rating,started_at,completed_at";
    private const string CustomerHeader = "id,name,email,phone,document,call_count,last_call_at,created_at";
    private const string LinkHeader = "id,token,url,status,department,customer_name,customer_email,customer_phone,expires_at,used_at,created_at";

    private HttpClient Http() => new() { BaseAddress = new Uri(app.BaseUrl), Timeout = TimeSpan.FromMinutes(2) };

    [Fact]
    public async Task Each_file_has_the_documented_header_and_quotes_and_neutralises_cells_so_a_spreadsheet_reads_them_as_text()
    {
        var s = await Scenario.SignUp(Http());
        var (supervisor, _) = await s.Staff("supervisor");
        var department = await s.Department(new { name = "Suporte, Técnico" });
        var tricky = "Ferreira, \"Carlos\"\nJr";
        var formula = "=HYPERLINK(\"http://evil.example\",\"click\")";
        var link = await s.Link(department, new { department_id = department, customer_name = "@SUM(1+1)", customer_phone = "+5511999998888" });
        var joined = await s.Anonymous.Post($"/api/v1/call/{link["token"]}/join", new { name = tricky, email = "carlos@example.com" });
        var second = await s.Link(department);
        await s.Anonymous.Post($"/api/v1/call/{second["token"]}/join", new { name = formula, phone = "+5511988887777" });
        await supervisor.Post("/api/v1/customers", new { name = "-2+3", document = "11222333000181", notes = "never exported" });

        var calls = await Download(supervisor, "/api/v1/export/calls.csv");
        Assert.Equal("text/csv; charset=utf-8", calls.Message.Content.Headers.ContentType!.ToString());
        Assert.Equal("attachment", calls.Message.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("calls.csv", calls.Message.Content.Headers.ContentDisposition.FileName?.Trim('"'));
        Assert.StartsWith(CallHeader + "\r\n", calls.Text);
        Assert.Contains("\"Ferreira, \"\"Carlos\"\"\nJr\"", calls.Text);
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\"", calls.Text);
        var rows = Csv.Parse(calls.Text);
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(11, r.Length));
        // Both joined in the same second: found by id, not by place.
        var first = Assert.Single(rows, r => r[0] == joined.Data["call_id"]!.GetValue<string>());
        Assert.Equal(["queued", "Suporte, Técnico", "", tricky, "carlos@example.com", "", "", "", "", ""], first[1..]);
        Assert.Single(rows, r => r[4] == "'" + formula);

        var customers = Csv.Parse((await Download(supervisor, "/api/v1/export/customers.csv")).Text);
        Assert.Equal(CustomerHeader, string.Join(",", customers[0]));
        Assert.Equal(["'-2+3", "'" + formula, tricky], customers.Skip(1).Select(r => r[1]).Order(StringComparer.Ordinal));
        var company = Assert.Single(customers, r => r[1] == "'-2+3");
        Assert.Equal(["", "", "11.222.333/0001-81", "0", ""], company[2..7]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", company[7]);
        var carlos = Assert.Single(customers, r => r[1] == tricky);
        Assert.Equal(["carlos@example.com", "'+5511999998888", "", "1"], carlos[2..6]); // the phone the link was made with
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", carlos[6]);
        Assert.Equal("'+5511988887777", Assert.Single(customers, r => r[1] == "'" + formula)[3]);

        var links = Csv.Parse((await Download(supervisor, "/api/v1/export/links.csv")).Text);
        Assert.Equal(LinkHeader, string.Join(",", links[0]));
        var used = Assert.Single(links, r => r[0] == link["id"]!.GetValue<string>());
        // A token is URL-safe base64, which may start with '-': then it is neutralised like any other cell (the url cell has it as it is).
        var token = link["token"]!.GetValue<string>();
        Assert.Equal([token.StartsWith('-') ? "'" + token : token, link["url"]!.GetValue<string>(), "used", "Suporte, Técnico",
            "'@SUM(1+1)", "", "'+5511999998888", ""], used[1..9]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", used[9]);
    }

    [Fact]
    public async Task The_documented_filters_select_the_rows_and_bad_ones_are_refused_before_the_file_starts()
    {
        var s = await Scenario.SignUp(Http());
        var (supervisor, _) = await s.Staff("supervisor");
        var (attendant, _) = await s.Staff("attendant");
        var sales = await s.Department(new { name = "Sales" });
        var support = await s.Department(new { name = "Support" });
        var queued = (await s.Join(sales, "Queued Customer"))["call_id"]!.GetValue<string>();
        var cancelled = (await s.Join(support, "Cancelled Customer"))["call_id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await supervisor.Post($"/api/v1/calls/{cancelled}/cancel")).Status);
        var old = await InsertCall(s.Tenant, support, DateTime.UtcNow.AddDays(-40));
        var active = await s.Link(sales);
        var cancelledLink = (await s.Link(support))["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await supervisor.Post($"/api/v1/access-links/{cancelledLink}/cancel")).Status);

        async Task<string[]> Ids(string path) => Csv.Parse((await Download(supervisor, path)).Text).Skip(1).Select(r => r[0]).ToArray();
        // The two joins may share a second: between them the order is the ids', so they are compared as a set.
        string[] Same(params string[] ids) => [.. ids.Order(StringComparer.Ordinal)];
        Assert.Equal(Same(queued, cancelled), Same(await Ids("/api/v1/export/calls.csv"))); // the last 30 days
        var withOld = await Ids($"/api/v1/export/calls.csv?date_from={DateTime.UtcNow.AddDays(-41):yyyy-MM-dd}");
        Assert.Equal(old, withOld[0]); // oldest first
        Assert.Equal(Same(queued, cancelled), Same(withOld[1..]));
        Assert.Equal([old], await Ids($"/api/v1/export/calls.csv?date_from={DateTime.UtcNow.AddDays(-41):yyyy-MM-dd}&date_to={DateTime.UtcNow.AddDays(-39):yyyy-MM-dd}"));
        Assert.Equal([cancelled], await Ids("/api/v1/export/calls.csv?status=cancelled"));
        Assert.Equal([queued], await Ids($"/api/v1/export/calls.csv?department_id={sales}"));
        Assert.Equal(Same(queued, cancelled), Same(await Ids($"/api/v1/export/calls.csv?date_to={DateTime.UtcNow:yyyy-MM-dd}")));
        Assert.Empty(await Ids($"/api/v1/export/calls.csv?date_from={DateTime.UtcNow.AddDays(1):yyyy-MM-dd}"));

        var allLinks = await Ids("/api/v1/export/links.csv");
        Assert.Equal(4, allLinks.Length);
        Assert.Equal([active["id"]!.GetValue<string>()], await Ids("/api/v1/export/links.csv?status=active"));
        Assert.Equal([cancelledLink], await Ids("/api/v1/export/links.csv?status=cancelled"));
        Assert.Equal(2, (await Ids("/api/v1/export/links.csv?status=used")).Length);
        Assert.Equal(2, (await Ids($"/api/v1/export/links.csv?department_id={support}")).Length);

        foreach (var (path, field) in new[]
        {
            ("/api/v1/export/calls.csv?status=assigned", "status"), ("/api/v1/export/calls.csv?date_from=yesterday", "date_from"),
            ("/api/v1/export/calls.csv?department_id=sales", "department_id"), ("/api/v1/export/links.csv?status=open", "status"),
        })
        {
            var refused = await supervisor.Get(path);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
            Assert.Equal(["is invalid"], refused.FieldErrors(field));
        }

        foreach (var file in new[] { "calls", "customers", "links" })
        {
            var forbidden = await attendant.Get($"/api/v1/export/{file}.csv");
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.Status);
            Assert.Equal("Forbidden", forbidden.Detail);
        }
    }

    [Fact]
    public async Task Another_tenants_rows_are_never_in_the_files()
    {
        var a = await Scenario.SignUp(Http());
        var b = await Scenario.SignUp(Http());
        var aDepartment = await a.Department();
        var aCall = (await a.Join(aDepartment, "Alice Only-In-A"))["call_id"]!.GetValue<string>();
        var bCall = (await b.Join(await b.Department(), "Bob In-B"))["call_id"]!.GetValue<string>();
        foreach (var path in new[] { "/api/v1/export/calls.csv", $"/api/v1/export/calls.csv?department_id={aDepartment}", "/api/v1/export/customers.csv",
                     "/api/v1/export/links.csv", $"/api/v1/export/links.csv?department_id={aDepartment}" })
        {
            var file = await Download(b.Owner, path);
            Assert.DoesNotContain("Alice", file.Text);
            Assert.DoesNotContain(aCall, file.Text);
            Assert.DoesNotContain(aDepartment, file.Text);
        }
        Assert.Equal(bCall, Csv.Parse((await Download(b.Owner, "/api/v1/export/calls.csv")).Text)[1][0]);
        Assert.Equal("Bob In-B", Csv.Parse((await Download(b.Owner, "/api/v1/export/customers.csv")).Text)[1][1]);
    }

    /// <summary>
    /// A large export is streamed: with the client holding back after the first bytes, the node holds no copy of the
    /// file (the managed heap, after a full collection, is not the file's size larger) and the database is still
    /// being read; then the rest arrives, every row of it.
    /// </summary>
    [Fact]
    public async Task A_large_export_streams_from_the_database_and_the_node_never_holds_the_file()
    {
        const int rows = 50_000;
        var s = await Scenario.SignUp(Http());
        var department = await s.Department();
        await using (var db = new NpgsqlConnection(app.ConnectionString))
        {
            await db.OpenAsync();
            await using var insert = new NpgsqlCommand("""
                INSERT INTO calls (tenant, id, status, protocol, department_id, department_name, user_name, customer_name, customer_email,
                                   duration, wait_time, rating, started_at, completed_at, inserted_at, updated_at)
                SELECT $1, gen_random_uuid(), 'completed', 'P' || i, $2, 'Suporte', 'Agent ' || (i % 7),
                       'Customer ' || i || ' ' || repeat('x', 400), 'customer' || i || '@example.com',
                       300 + i % 60, i % 90, 1 + i % 5, now() - i * interval '1 second', now() - i * interval '1 second' + interval '5 minutes',
                       now() - i * interval '1 second', now()
                FROM generate_series(1, $3) i
                """, db);
            insert.Parameters.AddWithValue(s.Tenant);
            insert.Parameters.AddWithValue(Guid.Parse(department));
            insert.Parameters.AddWithValue(rows);
            await insert.ExecuteNonQueryAsync();
        }

        // A small receive window: what the client has not read stays on the node's side of the connection.
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
                await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(app.BaseUrl), Timeout = TimeSpan.FromMinutes(2) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/export/calls.csv");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", s.Owner.Token);
        request.Headers.Add("X-Tenant", s.Tenant);

        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64 * 1024];
        var firstBytes = await body.ReadAtLeastAsync(buffer, 4096);
        var firstBytesAt = clock.Elapsed;
        Assert.StartsWith(CallHeader + "\r\n", Encoding.UTF8.GetString(buffer, 0, firstBytes));

        // The client holds back: the export waits for it, its query still open, with no copy of the file on the node.
        var stillReading = false;
        for (var waited = Stopwatch.StartNew(); !stillReading && waited.Elapsed < TimeSpan.FromSeconds(10); await Task.Delay(100))
            stillReading = await ExportQueryIsOpen();
        await Task.Delay(500);
        var held = GC.GetTotalMemory(forceFullCollection: true) - baseline;

        long total = firstBytes, lines = Count(buffer.AsSpan(0, firstBytes));
        for (int read; (read = await body.ReadAsync(buffer)) > 0;)
        {
            total += read;
            lines += Count(buffer.AsSpan(0, read));
        }
        var summary = $"calls.csv with {rows} rows: {total / 1e6:F1} MB in {clock.Elapsed.TotalSeconds:F2} s, first bytes after " +
                      $"{firstBytesAt.TotalMilliseconds:F0} ms; while the client held back, the export query was open: {stillReading}, " +
                      $"managed heap above the baseline: {held / 1e6:F1} MB";
        output.WriteLine(summary);
        TestLog.Write("csv-export", summary);

        Assert.Equal(rows + 1, lines);
        Assert.True(total > 20_000_000, summary);
        Assert.True(stillReading, "the export's query had finished while the client had read only the first bytes: " + summary);
        Assert.True(held < 16_000_000, "the node held a large part of the file in memory: " + summary);
        return;

        static long Count(ReadOnlySpan<byte> bytes) => bytes.Count((byte)'\n'); // no customer name here has a line break

        async Task<bool> ExportQueryIsOpen()
        {
            await using var db = new NpgsqlConnection(app.ConnectionString);
            await db.OpenAsync();
            await using var query = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%FROM calls c%ORDER BY c.inserted_at, c.id'", db);
            return (long)(await query.ExecuteScalarAsync())! > 0;
        }
    }

    private static async Task<ApiResponse> Download(ApiClient client, string path)
    {
        var response = await client.Get(path);
        Assert.True(response.Status == HttpStatusCode.OK, $"GET {path}: {(int)response.Status} {response.Text}");
        Assert.Equal("text/csv", response.Message.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith("\r\n", response.Text);
        return response;
    }

    private async Task<string> InsertCall(string tenant, string department, DateTime insertedAt)
    {
        var id = Guid.NewGuid();
        await using var db = new NpgsqlConnection(app.ConnectionString);
        await db.OpenAsync();
        await using var insert = new NpgsqlCommand("""
            INSERT INTO calls (tenant, id, status, protocol, department_id, customer_name, inserted_at, updated_at)
            VALUES ($1, $2, 'missed', 'P-old', $3, 'Old Customer', $4, $4)
            """, db);
        insert.Parameters.AddWithValue(tenant);
        insert.Parameters.AddWithValue(id);
        insert.Parameters.AddWithValue(Guid.Parse(department));
        insert.Parameters.AddWithValue(insertedAt);
        await insert.ExecuteNonQueryAsync();
        return id.ToString();
    }

    /// <summary>An RFC 4180 reader, strict: records end with CRLF, quoted fields double their quotes.</summary>
    private static class Csv
    {
        public static List<string[]> Parse(string text)
        {
            var records = new List<string[]>();
            var fields = new List<string>();
            var field = new StringBuilder();
            var quoted = false;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (quoted)
                {
                    if (c != '"') field.Append(c);
                    else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else quoted = false;
                }
                else if (c == '"' && field.Length == 0) quoted = true;
                else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
                else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    fields.Add(field.ToString());
                    field.Clear();
                    records.Add([.. fields]);
                    fields.Clear();
                    i++;
                }
                else
                {
                    Assert.False(c is '"' or '\r' or '\n', $"a bare {(int)c} outside quotes at {i}");
                    field.Append(c);
                }
            }
            Assert.True(fields.Count == 0 && field.Length == 0, "the file does not end with CRLF");
            return records;
        }
    }
}
