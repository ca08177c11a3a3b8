using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;
using static Voki.Api.Infrastructure.CsvResponse;

namespace Voki.Api.Endpoints;

/// <summary>CSV export (reference §2.14): supervisor and up; every file is streamed from the database as it is read.</summary>
public static class ExportEndpoints
{
    public static readonly string[] CallColumns =
        ["id", "status", "department", "attendant", "customer_name", "customer_email", "duration", "wait_time", "rating", "started_at", "completed_at"];
    public static readonly string[] CustomerColumns = ["id", "name", "email", "phone", "document", "call_count", "last_call_at", "created_at"];
    public static readonly string[] LinkColumns =
        ["id", "token", "url", "status", "department", "customer_name", "customer_email", "customer_phone", "expires_at", "used_at", "created_at"];

    /// <summary>The calls export covers the last 30 days unless date_from says otherwise.</summary>
    public const int DefaultDays = 30;

    private const string Quoting = "RFC 4180 (CRLF; cells with a comma, quote or line break quoted); a cell starting with =, +, -, @, " +
        "a tab or a carriage return is prefixed with ' (and quoted) so a spreadsheet never runs it: a phone +5511… reads \"'+5511…\", " +
        "a link token starting with - reads '-… (its url cell is whole). " +
        "Streamed: rows are sent as they are read; validation errors (422) come before the first byte";

    public static void MapExportEndpoints(this IEndpointRouteBuilder app)
    {
        var export = app.MapGroup("/api/v1/export").WithTags("Export").RequireAuthorization(Policies.Supervisor);
        export.MapGet("/calls.csv", Calls).Produces<string>(StatusCodes.Status200OK, "text/csv")
            .WithSummary($"Calls as CSV ({string.Join(",", CallColumns)}), oldest first; filters date_from (default {DefaultDays} days ago), " +
                         $"date_to (default today; a bare date covers the whole day), status, department_id. {Quoting}");
        export.MapGet("/customers.csv", Customers).Produces<string>(StatusCodes.Status200OK, "text/csv")
            .WithSummary($"Customers as CSV ({string.Join(",", CustomerColumns)}), by name. {Quoting}");
        export.MapGet("/links.csv", Links).Produces<string>(StatusCodes.Status200OK, "text/csv")
            .WithSummary($"Access links as CSV ({string.Join(",", LinkColumns)}), oldest first; filters status (active|used|expired|cancelled), " +
                         $"department_id. {Quoting}");
    }

    private static IResult Calls(HttpContext http, CallRows calls)
    {
        var caller = http.Caller();
        var query = http.Request.Query;
        var v = new Validator();
        var today = DateOnly.FromDateTime(DateTime.UtcNow).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var filter = new CallFilter(
            QueryValues.OneOf(query, "status", CallStatus.All, v),
            QueryValues.Guid(query, "department_id", v),
            UserId: null,
            QueryValues.Date(query, "date_from", upperBound: false, v) ?? today.AddDays(-DefaultDays),
            QueryValues.Date(query, "date_to", upperBound: true, v) ?? today.AddDays(1),
            Search: null);
        v.ThrowIfInvalid();
        return Stream(http, "calls.csv", CallColumns, calls.StreamAsync(caller.Tenant, filter, http.RequestAborted), c =>
        [
            c.Id.ToString(), c.Status, c.DepartmentName, c.UserName, c.CustomerName, c.CustomerEmail,
            Cell(c.Duration), Cell(c.WaitTime), Cell(c.Rating), Cell(c.StartedAt), Cell(c.CompletedAt),
        ]);
    }

    private static IResult Customers(HttpContext http, CustomerStore customers) =>
        Stream(http, "customers.csv", CustomerColumns, customers.StreamAsync(http.Caller().Tenant, http.RequestAborted), c =>
        [
            c.Id.ToString(), c.Name, c.Email, c.Phone, c.Document, Cell(c.CallCount), Cell(c.LastCallAt), Cell(c.InsertedAt),
        ]);

    private static IResult Links(HttpContext http, AccessLinkRows links)
    {
        var caller = http.Caller();
        var v = new Validator();
        var filter = new AccessLinkFilter(
            QueryValues.OneOf(http.Request.Query, "status", AccessLinkStatus.All, v),
            QueryValues.Guid(http.Request.Query, "department_id", v));
        v.ThrowIfInvalid();
        return Stream(http, "links.csv", LinkColumns, links.StreamAsync(caller.Tenant, filter, DateTime.UtcNow, http.RequestAborted), l =>
        [
            l.Id.ToString(), l.Token, l.Url, l.Status, l.DepartmentName, l.CustomerName, l.CustomerEmail, l.CustomerPhone,
            Cell(l.ExpiresAt), Cell(l.UsedAt), Cell(l.InsertedAt),
        ]);
    }
}
