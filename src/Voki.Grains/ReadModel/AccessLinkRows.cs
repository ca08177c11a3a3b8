using Npgsql;
using Voki.Grains.Model;

namespace Voki.Grains.ReadModel;

public sealed record AccessLinkFilter(string? Status, Guid? DepartmentId);

public sealed class AccessLinkRows(NpgsqlDataSource db)
{
    private const string Columns = "l.id, l.token, l.url, l.status, l.department_id, d.name AS department_name, l.customer_name, l.customer_email, " +
        "l.customer_phone, l.single_use, l.expires_at, l.used_at, l.call_id, l.inserted_at, l.updated_at, l.customer_id";
    private const string From = "access_links l LEFT JOIN departments d ON d.tenant = l.tenant AND d.id = l.department_id";

    public async Task UpsertAsync(string tenant, AccessLink link)
    {
        await using var cmd = db.CreateCommand("""
            INSERT INTO access_links (tenant, id, token, url, status, department_id, customer_name, customer_email, customer_phone,
                                      single_use, expires_at, used_at, call_id, inserted_at, updated_at, customer_id)
            VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)
            ON CONFLICT (tenant, id) DO UPDATE SET status = EXCLUDED.status, used_at = EXCLUDED.used_at,
              call_id = EXCLUDED.call_id, updated_at = EXCLUDED.updated_at,
              customer_id = COALESCE(access_links.customer_id, EXCLUDED.customer_id)
            """);
        cmd.Parameters.AddWithValue(tenant);
        cmd.Parameters.AddWithValue(link.Id);
        cmd.Parameters.AddWithValue(link.Token);
        cmd.Parameters.AddWithValue(link.Url);
        cmd.Parameters.AddWithValue(link.Status);
        cmd.Parameters.AddWithValue(link.DepartmentId);
        cmd.Parameters.AddWithValue(link.CustomerName.Db());
        cmd.Parameters.AddWithValue(link.CustomerEmail.Db());
        cmd.Parameters.AddWithValue(link.CustomerPhone.Db());
        cmd.Parameters.AddWithValue(link.SingleUse);
        cmd.Parameters.AddWithValue(link.ExpiresAt.Db());
        cmd.Parameters.AddWithValue(link.UsedAt.Db());
        cmd.Parameters.AddWithValue(link.CallId.Db());
        cmd.Parameters.AddWithValue(link.InsertedAt);
        cmd.Parameters.AddWithValue(link.UpdatedAt);
        // Set once by the grain (at creation, or by the join of a single-use link); afterwards only a customer merge or
        // delete moves it, in the database first, so a save of a grain not yet told of it cannot undo it.
        cmd.Parameters.Add(new NpgsqlParameter { Value = link.CustomerId.Db(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>The public widget knows only the token: find which tenant and link it names.</summary>
    public async Task<(string Tenant, Guid Id)?> FindByTokenAsync(string token)
    {
        await using var cmd = db.CreateCommand("SELECT tenant, id FROM access_links WHERE token = $1");
        cmd.Parameters.AddWithValue(token);
        await using var reader = await cmd.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetString(0), reader.GetGuid(1)) : null;
    }

    public Task<Page<AccessLink>> ListAsync(string tenant, AccessLinkFilter filter, ListRequest list, DateTime now) =>
        db.PageAsync(From, Where(tenant, filter, now), list, Columns, r => Map(r).AsOf(now), "l.id");

    /// <summary>Every link the filter selects, oldest first, streamed (the CSV export).</summary>
    public IAsyncEnumerable<AccessLink> StreamAsync(string tenant, AccessLinkFilter filter, DateTime now, CancellationToken cancellation) =>
        db.StreamAsync(From, Where(tenant, filter, now), Columns, "l.inserted_at, l.id", r => Map(r).AsOf(now), cancellation);

    private static SqlWhere Where(string tenant, AccessLinkFilter filter, DateTime now)
    {
        var where = new SqlWhere(tenant, "l.tenant")
            .AddIf(filter.DepartmentId is not null, "l.department_id = {0}", filter.DepartmentId ?? Guid.Empty);
        where = filter.Status switch
        {
            AccessLinkStatus.Expired => where.Add("l.status = 'active' AND l.expires_at <= {0}", now),
            AccessLinkStatus.Active => where.Add("l.status = 'active' AND (l.expires_at IS NULL OR l.expires_at > {0})", now),
            null => where,
            var status => where.Add("l.status = {0}", status),
        };
        return where;
    }

    private static AccessLink Map(NpgsqlDataReader r) => new()
    {
        Id = r.Get<Guid>("id"),
        Token = r.Get<string>("token"),
        Url = r.Get<string>("url"),
        Status = r.Get<string>("status"),
        DepartmentId = r.Get<Guid>("department_id"),
        DepartmentName = r.Text("department_name"),
        CustomerName = r.Text("customer_name"),
        CustomerEmail = r.Text("customer_email"),
        CustomerPhone = r.Text("customer_phone"),
        SingleUse = r.Get<bool>("single_use"),
        ExpiresAt = r.Nullable<DateTime>("expires_at"),
        UsedAt = r.Nullable<DateTime>("used_at"),
        CallId = r.Nullable<Guid>("call_id"),
        InsertedAt = r.Utc("inserted_at"),
        UpdatedAt = r.Utc("updated_at"),
        CustomerId = r.Nullable<Guid>("customer_id"),
    };
}
