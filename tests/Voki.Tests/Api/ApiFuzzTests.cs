using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Voki.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Voki.Tests.Api;

/// <summary>
/// Issue 11 item 8, "bad input never 500": every operation of the app's own OpenAPI document, with its path, query and
/// JSON body filled with boundary values, garbage and seeded random values, sent as anonymous, as each staff role (and
/// the owner naming another tenant), as a customer's websocket_token and as the operator. No answer may be a 5xx, and every 4xx carries the error envelope.
/// The seed is fixed so a run is repeatable; VOKI_API_FUZZ_SEED=random (or a number) picks another, and
/// VOKI_API_FUZZ_CASES sets the cases per operation.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ApiFuzzTests(VokiApp app, ITestOutputHelper output)
{
    private const int FixedSeed = 20261203;
    private const int DefaultCasesPerOperation = 40;

    /// <summary>Counted like a status in the summary: the request timed out.</summary>
    private const int NoAnswer = 0;

    /// <summary>
    /// The document declares no query parameters for the lists (they read the query string themselves), so the list
    /// conventions and every filter any list documents in its summary are tried on every GET.
    /// </summary>
    private static readonly string[] ListQueryParameters =
        ["page", "page_size", "sort_by", "sort_order", "status", "department_id", "user_id", "date_from", "date_to", "search", "role", "active", "parent_id", "tag_id", "customer_id"];

    /// <summary>Operations not fuzzed, each with its reason. Everything else in the document is.</summary>
    private static readonly Dictionary<string, string> Skipped = new()
    {
        ["GET /dashboard/Trace"] = "streams the silo's trace log until the client hangs up: there is no answer to judge",
    };

    /// <summary>Far above any answer of a healthy node under the fuzz; a request still open then is reported, not waited for.</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(15);

    private static readonly string Huge = new('a', 10_000);

    private static readonly string[] BoundaryTexts =
    [
        "", " ", "0", "-1", "1", "2147483647", "-2147483648", "2147483648", "9223372036854775807", "-9223372036854775808",
        "99999999999999999999999999", "1e308", "NaN", "true", "null", "\0", "a\0b", "ü漢字🎉", "\u202e\u200b", "%", "../../etc/passwd",
        "' OR 1=1 --", "<script>alert(1)</script>", "00000000-0000-0000-0000-000000000000", "not-a-uuid",
        "9999-12-31", "9999-12-31T23:59:59.9999999Z", "0001-01-01", "0001-01-01T00:00:00+14:00", "2026-02-30", Huge,
    ];

    /// <summary>
    /// A NUL in the path never reaches the app: Kestrel refuses the request line, and the in-process test server throws
    /// before sending it. NUL is tried in queries and bodies instead.
    /// </summary>
    private static readonly string[] PathTexts = BoundaryTexts.Where(t => !t.Contains('\0')).ToArray();

    private static readonly string[] BoundaryNumbers =
    [
        "0", "-1", "1", "2147483647", "-2147483648", "2147483648", "9223372036854775807", "-9223372036854775809",
        "1e308", "-1e308", "1.5", "-0", "1E2",
    ];

    private static readonly string[] RawBodies =
    [
        "{", "}", "{\"a\":", "nul", "[1,2", "\"unterminated", "{'single':'quotes'}", "{\"a\":1,}", "\u0000", "\ufeff{}",
        "null", "[]", "123", "\"text\"", "true", "{}", "{\"\":{}}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\u0000\"}",
        new string('[', 10_000) + new string(']', 10_000),
        string.Concat(Enumerable.Repeat("{\"a\":", 5_000)) + "1" + new string('}', 5_000),
        "{" + string.Join(",", Enumerable.Range(0, 5_000).Select(i => $"\"k{i}\":{i}")) + "}",
    ];

    private sealed record Identity(string Name, string? Token, string? Tenant);

    private sealed record Operation(string Method, string Path, JsonNode Node)
    {
        public string Key => $"{Method} {Path}";
    }

    private sealed record Case(int Index, string Url, string? Body, string? ContentType, string Description);

    private sealed record Finding(string Operation, string Identity, int Status, string Case, string Response);

    /// <summary>The tenant and the things the fuzz may use up or break: nothing it relies on itself.</summary>
    private sealed class World
    {
        public required Scenario Scenario { get; init; }
        public required string Department { get; init; }
        public required string SpareDepartment { get; init; }
        public required string SpareUser { get; init; }
        public required string AttendantId { get; init; }
        public required string LinkToken { get; init; }
        public required string SpareLink { get; init; }
        public required string CallId { get; init; }
        public required string SpareTenant { get; init; }
        public required IReadOnlyList<Identity> Identities { get; init; }
    }

    [Fact]
    public async Task No_operation_answers_5xx_and_every_refusal_has_the_error_envelope()
    {
        var seed = Seed();
        var casesPerOperation = int.TryParse(Environment.GetEnvironmentVariable("VOKI_API_FUZZ_CASES"), out var n) && n > 0 ? n : DefaultCasesPerOperation;
        var http = app.CreateClient();
        http.Timeout = TimeSpan.FromSeconds(60);
        var document = JsonNode.Parse(await http.GetStringAsync("/openapi/v1.json"))!;
        var world = await Arrange(http);
        var operations = Operations(document).ToList();
        Assert.NotEmpty(operations);

        var clock = Stopwatch.StartNew();
        var statuses = new SortedDictionary<int, int>();
        var perOperation = new List<string>();
        var findings = new List<Finding>();
        var sent = 0;
        foreach (var operation in operations)
        {
            if (Skipped.ContainsKey(operation.Key)) continue;
            var random = new Random(HashCode32($"{seed}:{operation.Key}"));
            var generator = new CaseGenerator(document, operation, world, random);
            var opStatuses = new SortedDictionary<int, int>();
            for (var i = 0; i < casesPerOperation; i++)
            {
                var fuzzCase = generator.Next(i);
                foreach (var identity in world.Identities)
                {
                    var (status, body) = await Send(http, operation.Method, fuzzCase, identity);
                    sent++;
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                    opStatuses[status] = opStatuses.GetValueOrDefault(status) + 1;
                    if (Problem(status, body) is { } problem)
                        findings.Add(new Finding(operation.Key, identity.Name, status, fuzzCase.Description + $" → {Clip(fuzzCase.Url, 300)}", $"{problem}: {Clip(body, 300)}"));
                }
            }
            perOperation.Add($"  {operation.Key}: {string.Join(", ", opStatuses.Select(s => $"{s.Key}×{s.Value}"))}");
        }
        clock.Stop();

        var summary = $"API fuzz: seed {seed}, {casesPerOperation} cases × {world.Identities.Count} identities per operation, " +
                      $"{operations.Count - Skipped.Count} operations, {sent} requests in {clock.Elapsed.TotalSeconds:F1} s\n" +
                      $"by status: {string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}"))}\n" +
                      string.Join("\n", perOperation) +
                      (Skipped.Count == 0 ? "" : "\nskipped:\n" + string.Join("\n", Skipped.Select(s => $"  {s.Key}: {s.Value}")));
        output.WriteLine(summary);
        TestLog.Write("api-fuzz", summary);
        Assert.True(findings.Count == 0,
            $"{findings.Count} answers broke the rules (replay with VOKI_API_FUZZ_SEED={seed}):\n" +
            string.Join("\n", findings.DistinctBy(f => (f.Operation, f.Status, f.Case)).Take(40)
                .Select(f => $"- {f.Operation} as {f.Identity} → {f.Status} [{f.Case}]\n    {f.Response}")) + "\n\n" + summary);
        Assert.False(statuses.ContainsKey(429), "The rate limits answered 429: the fuzz no longer reaches the endpoints (VokiApp sets high limits)\n" + summary);
    }

    private static int Seed()
    {
        var configured = Environment.GetEnvironmentVariable("VOKI_API_FUZZ_SEED");
        if (string.Equals(configured, "random", StringComparison.OrdinalIgnoreCase)) return Random.Shared.Next();
        return int.TryParse(configured, out var seed) ? seed : FixedSeed;
    }

    /// <summary>What is wrong with an answer, or null: a 5xx, or a 4xx without <c>{"errors": {"detail": "…"}}</c> or field messages.</summary>
    private static string? Problem(int status, string body)
    {
        if (status == NoAnswer) return "no answer";
        if (status >= 500) return "server error";
        if (status < 400) return null;
        JsonNode? json;
        try { json = JsonNode.Parse(body); }
        catch (JsonException) { return "4xx without a JSON body"; }
        if (json is not JsonObject { Count: 1 } root || root["errors"] is not JsonObject { Count: > 0 } errors) return "4xx without the error envelope";
        foreach (var (field, messages) in errors)
        {
            var valid = field == "detail"
                ? messages is JsonValue detail && detail.GetValueKind() == JsonValueKind.String
                : messages is JsonArray { Count: > 0 } list && list.All(m => m is JsonValue v && v.GetValueKind() == JsonValueKind.String);
            if (!valid) return $"4xx with a malformed error for \"{field}\"";
        }
        return null;
    }

    private static async Task<(int Status, string Body)> Send(HttpClient http, string method, Case fuzzCase, Identity identity)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), fuzzCase.Url);
        if (identity.Token is not null) request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {identity.Token}");
        if (identity.Tenant is not null) request.Headers.TryAddWithoutValidation("X-Tenant", identity.Tenant);
        if (fuzzCase.Body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(fuzzCase.Body));
            if (fuzzCase.ContentType is not null) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(fuzzCase.ContentType);
        }
        using var timeout = new CancellationTokenSource(AnswerTimeout);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return (NoAnswer, $"no answer within {AnswerTimeout.TotalSeconds} s");
        }
    }

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    /// <summary>Stable across processes, unlike string.GetHashCode: the same seed must give the same cases.</summary>
    private static int HashCode32(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text) hash = (hash ^ c) * 16777619u;
        return (int)hash;
    }

    /// <summary>
    /// Operations in an order that keeps the world usable: reads, then creates and updates, then deletes (the
    /// deepest path first, so a member is removed before its spare department goes).
    /// </summary>
    private static IEnumerable<Operation> Operations(JsonNode document) =>
        document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(op => new Operation(op.Key.ToUpperInvariant(), path.Key, op.Value!)))
            .OrderBy(op => op.Method switch { "GET" => 0, "POST" => 1, "PUT" => 2, "PATCH" => 2, _ => 3 })
            .ThenByDescending(op => op.Method == "DELETE" ? op.Path.Length : 0);

    private async Task<World> Arrange(HttpClient http)
    {
        var s = await Scenario.SignUp(http, plan: "professional");
        var department = await s.Department();
        var spareDepartment = await s.Department();
        var (manager, _) = await s.Staff("manager");
        var (supervisor, _) = await s.Staff("supervisor", department);
        var (attendant, attendantId) = await s.Staff("attendant", department);
        var (_, spareUser) = await s.Staff("attendant", spareDepartment);
        var link = await s.Link(department, new { department_id = department, single_use = false });
        var spareLink = await s.Link(department);
        var joined = await s.Anonymous.Post($"/api/v1/call/{link["token"]}/join", new { name = "Fuzz Customer", email = "fuzz@example.com" });
        Assert.Equal(HttpStatusCode.OK, joined.Status);
        var spareTenant = await Scenario.SignUp(http, plan: "free");
        return new World
        {
            Scenario = s,
            Department = department,
            SpareDepartment = spareDepartment,
            SpareUser = spareUser,
            AttendantId = attendantId,
            LinkToken = link["token"]!.GetValue<string>(),
            SpareLink = spareLink["id"]!.GetValue<string>(),
            CallId = joined.Data["call_id"]!.GetValue<string>(),
            SpareTenant = spareTenant.Tenant,
            Identities =
            [
                new("anonymous", null, null),
                new("owner", s.Owner.Token, s.Tenant),
                new("owner naming another tenant in X-Tenant", s.Owner.Token, spareTenant.Tenant),
                new("manager", manager.Token, s.Tenant),
                new("supervisor", supervisor.Token, s.Tenant),
                new("attendant", attendant.Token, s.Tenant),
                new("customer", joined.Data["websocket_token"]!.GetValue<string>(), null),
                new("operator", Scenario.OperatorToken, null),
            ],
        };
    }

    /// <summary>The cases of one operation: the first is plausible, the rest mix boundary values, wrong types and garbage.</summary>
    private sealed class CaseGenerator(JsonNode document, Operation operation, World world, Random random)
    {
        private readonly string[] _pathParameters = System.Text.RegularExpressions.Regex.Matches(operation.Path, @"\{([^}:]+)[^}]*\}")
            .Select(m => m.Groups[1].Value).ToArray();

        private readonly JsonNode? _bodySchema = operation.Node["requestBody"]?["content"]?["application/json"]?["schema"];

        private readonly string[] _queryParameters = (operation.Node["parameters"]?.AsArray() ?? [])
            .Where(p => p!["in"]!.GetValue<string>() == "query").Select(p => p!["name"]!.GetValue<string>())
            .Concat(operation.Method == "GET" ? ListQueryParameters : []).Distinct().ToArray();

        public Case Next(int index)
        {
            var plausible = index == 0;
            var description = new List<string> { $"case {index}" };
            var path = operation.Path;
            foreach (var name in _pathParameters)
            {
                var value = plausible || random.Next(3) == 0 ? RealPathValue(name) : Pick(PathTexts.Concat([NewGuid()]).ToArray());
                path = System.Text.RegularExpressions.Regex.Replace(path, $@"\{{{name}[^}}]*\}}", Uri.EscapeDataString(value));
            }
            var query = new List<string>();
            if (index == 1 && operation.Method == "GET")
            {
                query.Add("page=2147483647");
                query.Add("page_size=100");
            }
            else if (!plausible)
            {
                foreach (var name in _queryParameters.OrderBy(_ => random.Next()).Take(random.Next(0, 5)))
                    query.Add($"{name}={Uri.EscapeDataString(QueryValue(name))}");
            }
            var url = path + (query.Count > 0 ? "?" + string.Join("&", query) : "");

            string? body = null;
            string? contentType = "application/json";
            if (_bodySchema is not null)
            {
                switch (plausible ? 0 : random.Next(1, 8))
                {
                    case 0: body = Value(_bodySchema, "body", 0, plausibleOnly: true); break;
                    case 1: body = Pick(RawBodies); description.Add("raw body"); break;
                    case 2: body = WrongTyped(_bodySchema); description.Add("wrong types"); break;
                    case 3: body = random.Next(2) == 0 ? "{}" : ""; description.Add("fields missing"); break;
                    case 4: body = Value(_bodySchema, "body", 0, plausibleOnly: true); contentType = Pick<string?>(["text/plain", "application/x-www-form-urlencoded", null]); description.Add("other content type"); break;
                    default: body = Value(_bodySchema, "body", 0, plausibleOnly: false); description.Add("boundary values"); break;
                }
                if (!plausible && random.Next(6) == 0 && body is { Length: > 0 } inner && inner[0] == '{')
                {
                    body = $"{{\"{RootKey()}\":{inner}}}";
                    description.Add("wrapped");
                }
            }
            else if (!plausible && random.Next(4) == 0)
            {
                body = Pick(RawBodies);
                description.Add("unexpected body");
            }
            if (body is not null) description.Add(Clip(body, 120));
            return new Case(index, url, body, contentType, string.Join(", ", description));
        }

        private string RootKey() => Pick(["department", "user", "company", "call", "access_link", "evaluation", "department_user", "x"]);

        private string RealPathValue(string name) => (name, operation.Path) switch
        {
            ("token", _) => world.LinkToken,
            ("callId", _) => world.CallId,
            ("slug", _) => world.SpareTenant,
            ("userId", _) => world.SpareUser,
            ("id", var p) when p.StartsWith("/api/v1/users", StringComparison.Ordinal) => world.SpareUser,
            ("id", var p) when p.StartsWith("/api/v1/departments", StringComparison.Ordinal) => world.SpareDepartment,
            ("id", var p) when p.StartsWith("/api/v1/access-links", StringComparison.Ordinal) => world.SpareLink,
            ("id", var p) when p.StartsWith("/api/v1/calls", StringComparison.Ordinal) => world.CallId,
            ("page", _) => "1",
            _ => Pick(["1", "index.html", "Voki.Grains.Grains.CallGrain", NewGuid()]),
        };

        private string QueryValue(string name)
        {
            if (random.Next(2) == 0) return Pick(BoundaryTexts);
            return name switch
            {
                "page" or "page_size" => Pick(BoundaryNumbers),
                "sort_by" => Pick(["name", "inserted_at", "email", "status", "duration", "customer_name", "password", "name; DROP TABLE users"]),
                "sort_order" => Pick(["asc", "desc", "ASC", "sideways"]),
                "department_id" => world.Department,
                "user_id" => world.AttendantId,
                "date_from" or "date_to" => Pick(["2026-01-01", "9999-12-31", "0001-01-01", "2026-13-01", "9999-12-31T23:59:59Z", "-infinity", "infinity"]),
                "active" => Pick(["true", "false", "TRUE", "1", "yes"]),
                "status" => Pick(["queued", "active", "completed", "cancelled", "used", "expired", "nope"]),
                "role" => Pick(["owner", "attendant", "admin"]),
                _ => RandomText(),
            };
        }

        /// <summary>A JSON value for the schema, as text: boundary values and seeded random ones, or only plausible ones.</summary>
        private string Value(JsonNode schema, string field, int depth, bool plausibleOnly)
        {
            var (type, format, resolved) = Describe(schema);
            if (!plausibleOnly && random.Next(8) == 0) return AnyJson(depth);
            if (!plausibleOnly && random.Next(10) == 0) return "null";
            switch (type)
            {
                case "object":
                    var properties = resolved["properties"]?.AsObject() ?? new JsonObject();
                    var fields = properties
                        .Where(_ => plausibleOnly || random.Next(4) != 0)
                        .Select(p => $"{JsonSerializer.Serialize(p.Key)}:{Value(p.Value!, p.Key, depth + 1, plausibleOnly)}").ToList();
                    if (!plausibleOnly && random.Next(5) == 0) fields.Add($"\"unknown_{random.Next(100)}\":{AnyJson(depth + 1)}");
                    return "{" + string.Join(",", fields) + "}";
                case "array":
                    var items = resolved["items"] ?? new JsonObject();
                    var count = plausibleOnly ? 1 : Pick([0, 1, 2, 101]);
                    return "[" + string.Join(",", Enumerable.Range(0, count).Select(_ => Value(items, field, depth + 1, plausibleOnly && count < 3))) + "]";
                case "integer" or "number":
                    return plausibleOnly || random.Next(3) == 0 ? PlausibleNumber(field) : Pick(BoundaryNumbers);
                case "boolean":
                    return plausibleOnly || random.Next(2) == 0 ? (random.Next(2) == 0 ? "true" : "false") : Pick(["0", "1", "\"true\""]);
                default:
                    if (plausibleOnly || random.Next(3) == 0) return JsonSerializer.Serialize(PlausibleText(field, format));
                    return random.Next(6) == 0 ? "\"\\ud800\"" : JsonSerializer.Serialize(Pick(BoundaryTexts));
            }
        }

        /// <summary>The schema's fields, each with a value of another JSON type.</summary>
        private string WrongTyped(JsonNode schema)
        {
            var (_, _, resolved) = Describe(schema);
            var properties = resolved["properties"]?.AsObject() ?? new JsonObject();
            return "{" + string.Join(",", properties.Select(p =>
            {
                var (type, _, _) = Describe(p.Value!);
                var wrong = type switch
                {
                    "string" => Pick(["123", "true", "{}", "[]", "[\"a\"]", "{\"nested\":{\"deeper\":[1,{\"x\":null}]}}"]),
                    "integer" or "number" => Pick(["\"12\"", "\"abc\"", "true", "{}", "[1]", "1.5"]),
                    "boolean" => Pick(["\"yes\"", "1", "{}", "[]"]),
                    "array" => Pick(["{}", "\"list\"", "1", "[[[]]]"]),
                    _ => Pick(["\"object\"", "[]", "1", "true"]),
                };
                return $"{JsonSerializer.Serialize(p.Key)}:{wrong}";
            })) + "}";
        }

        private string AnyJson(int depth)
        {
            var kind = random.Next(depth > 3 ? 5 : 7);
            return kind switch
            {
                0 => "null",
                1 => Pick(BoundaryNumbers),
                2 => JsonSerializer.Serialize(Pick(BoundaryTexts)),
                3 => random.Next(2) == 0 ? "true" : "false",
                4 => JsonSerializer.Serialize(RandomText()),
                5 => "[" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => AnyJson(depth + 1))) + "]",
                _ => "{" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(i => $"\"k{i}\":{AnyJson(depth + 1)}")) + "}",
            };
        }

        private string PlausibleNumber(string field) => field switch
        {
            "rating" => random.Next(0, 7).ToString(CultureInfo.InvariantCulture),
            "count" => random.Next(0, 4).ToString(CultureInfo.InvariantCulture),
            "max_queue_size" => random.Next(1, 50).ToString(CultureInfo.InvariantCulture),
            "max_wait_time" => random.Next(0, 3600).ToString(CultureInfo.InvariantCulture),
            _ => random.Next(-10, 1000).ToString(CultureInfo.InvariantCulture),
        };

        private string PlausibleText(string field, string? format)
        {
            if (format == "uuid")
                return field switch
                {
                    "department_id" => world.Department,
                    "user_id" => random.Next(2) == 0 ? world.AttendantId : world.SpareUser,
                    _ => NewGuid(),
                };
            if (format == "date-time")
                return Pick(["2030-01-01T00:00:00Z", "2020-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2030-01-01", "0001-01-01T00:00:00Z"]);
            return field switch
            {
                "email" or "customer_email" => $"fuzz-{random.Next(1_000_000)}@example.com",
                "password" => Scenario.Password,
                "role" => Pick(["attendant", "supervisor", "manager", "owner", "admin"]),
                "locale" => Pick(["pt-BR", "en-US", "detect", "xx"]),
                "tenant" => world.Scenario.Tenant,
                "slug" => "f" + random.Next(1_000_000_000).ToString("D9", CultureInfo.InvariantCulture),
                "plan" => Pick(["free", "basic", "enterprise", "platinum"]),
                "phone" or "customer_phone" => Pick(["+55 11 99999-0000", "123"]),
                "primary_color" => Pick(["#112233", "red"]),
                "document_type" => Pick(["cpf", "cnpj", "passport"]),
                "identifier" => Pick(["support-" + random.Next(1000), "Not Valid"]),
                "refresh_token" => RandomText(),
                _ => RandomText(),
            };
        }

        private string RandomText()
        {
            const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.@#%&/\\\"'ãçéü漢🎉";
            var length = random.Next(0, 40);
            var text = new StringBuilder();
            while (text.Length < length)
            {
                var i = random.Next(alphabet.Length);
                // Keep surrogate pairs whole: a random split would be a lone surrogate, which has its own case.
                if (char.IsHighSurrogate(alphabet[i])) text.Append(alphabet, i, 2);
                else if (!char.IsLowSurrogate(alphabet[i])) text.Append(alphabet[i]);
            }
            return text.ToString();
        }

        private (string Type, string? Format, JsonNode Resolved) Describe(JsonNode schema)
        {
            if (schema["$ref"]?.GetValue<string>() is { } reference)
                return Describe(document["components"]!["schemas"]![reference.Split('/').Last()]!);
            if (schema["oneOf"] is JsonArray choices)
                return Describe(choices.First(c => c!["type"]?.ToString() != "null")!);
            var format = schema["format"]?.GetValue<string>();
            var type = schema["type"] switch
            {
                JsonArray types => types.Select(t => t!.GetValue<string>()).FirstOrDefault(t => t != "null") ?? "null",
                JsonValue single => single.GetValue<string>(),
                _ => schema["properties"] is not null ? "object" : "string",
            };
            return (type, format, schema);
        }

        private T Pick<T>(IReadOnlyList<T> choices) => choices[random.Next(choices.Count)];

        /// <summary>From the seeded generator, so a replayed seed sends the same ids.</summary>
        private string NewGuid()
        {
            var bytes = new byte[16];
            random.NextBytes(bytes);
            return new Guid(bytes).ToString();
        }
    }
}
