using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Voki.Api.Auth;
using Voki.Api.Infrastructure;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;

namespace Voki.Api.Endpoints;

/// <summary>
/// Writes the recording audit trail (decisions.md "Recording audit trail"). Each access is written in its
/// request, awaited, before anything of the recording is answered: a row is never lost to a crash or a full
/// queue, and the cost is one INSERT. When the database refuses it, the read fails with it (503 for a
/// transient fault, through ErrorHandling): an unaudited read of evidence is what the trail exists to rule out,
/// and without the database the read would mostly fail anyway.
/// </summary>
public sealed class RecordingAudit(RecordingRows rows)
{
    public Task AccessAsync(HttpContext http, Caller caller, Guid callId, string action, string? range = null) =>
        rows.AuditAsync(new RecordingAccess(caller.Tenant, callId, action)
        {
            UserId = caller.UserId, Role = caller.Role.Name(), Range = range, Ip = ClientIp(http),
        });

    public Task LiveJoinAsync(string tenant, Guid callId, Guid userId, Role? role, string? ip, string callStatus) =>
        rows.AuditAsync(new RecordingAccess(tenant, callId, RecordingAuditActions.LiveJoin)
        {
            UserId = userId, Role = role?.Name(), Ip = ip, Detail = $"joined the {callStatus} call",
        });

    public static string? ClientIp(HttpContext http) => http.Connection.RemoteIpAddress is { } address
        ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString()
        : null;
}

/// <summary>Marks the routes of one call's recording and transcript, whose refusals (401, 403) are audited as <c>denied</c>.</summary>
public sealed class AuditsRefusals;

/// <summary>
/// Audits refused attempts on the routes marked <see cref="AuditsRefusals"/>: the 401 of a missing or bad token
/// (no actor: filed under the call's own tenant, with the address) and the 403 of a signed-in member (with actor and role),
/// whether the role policy refused or the endpoint did. Sits between routing and authentication so it sees both.
/// A refusal is answered as such even when its row cannot be written (logged instead): the request got nothing.
/// Anyone who knows a call id can be refused at will, so each client address writes at most so many rows per call a
/// minute (RateLimits:AuditedRefusalsPerMinute); the refusals past it are counted in the log, not the trail.
/// </summary>
public sealed class RecordingRefusalAudit(RequestDelegate next, ILogger<RecordingRefusalAudit> logger, IConfiguration configuration)
{
    private readonly System.Threading.RateLimiting.PartitionedRateLimiter<string> _rows =
        FixedWindows.PerKey<string>(configuration.GetValue("RateLimits:AuditedRefusalsPerMinute", 10), TimeSpan.FromMinutes(1));

    public async Task InvokeAsync(HttpContext http, RecordingRows rows, CallRows calls)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<AuditsRefusals>() is null
            || !Guid.TryParse(http.GetRouteValue("id") as string, out var callId))
        {
            await next(http);
            return;
        }
        try
        {
            await next(http);
        }
        catch (ApiException refused) when (refused.Status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
        {
            await Audit(http, rows, calls, callId);
            throw;
        }
        if (http.Response.StatusCode is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
            await Audit(http, rows, calls, callId);
    }

    private async Task Audit(HttpContext http, RecordingRows rows, CallRows calls, Guid callId)
    {
        if (!_rows.TryAcquire($"{ClientAddress.Partition(http.Connection.RemoteIpAddress)}/{callId:N}", TimeSpan.FromMinutes(1), out _))
        {
            logger.LogInformation("Not auditing a refused {Method} {Path} from {Client}: over its refusals a minute for this call",
                http.Request.Method, http.Request.Path, RecordingAudit.ClientIp(http));
            return;
        }
        try
        {
            var signedIn = http.User.Identity?.IsAuthenticated == true ? http.Caller() : null;
            // A signed-in caller only ever reaches their own tenant; without a valid token, the call names its tenant.
            var tenant = signedIn?.Tenant ?? await calls.FindTenantAsync(callId);
            if (tenant is null) return;
            await rows.AuditAsync(new RecordingAccess(tenant, callId, RecordingAuditActions.Denied)
            {
                UserId = signedIn?.UserId, Role = signedIn?.Role.Name(), Ip = RecordingAudit.ClientIp(http),
                Range = http.Request.Headers.Range.FirstOrDefault(), Detail = $"{http.Response.StatusCode} {http.Request.Path}",
            });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not audit a refused {Method} {Path}", http.Request.Method, http.Request.Path);
        }
    }
}

/// <summary>
/// A download proxied to the node holding the file is audited once, by the node the client asked (it checked the
/// caller and sees the client's address). It tells the serving node so with a header only the cluster can make:
/// an HMAC, under the token signing key every node shares, over the call, the forwarded bearer token and range. A
/// missing or wrong proof makes the serving node audit too: a forged or stale header can add a row, never remove one.
/// </summary>
public sealed class ProxiedDownloadProof(IOptions<AuthOptions> options)
{
    public const string Header = "X-Voki-Download-Audited";
    private readonly SigningKeys _keys = new(options.Value);

    public string For(HttpRequest request, Guid callId) => Sign(_keys.Current.Key, request, callId);

    public bool AlreadyAudited(HttpRequest request, Guid callId)
    {
        if (request.Headers[Header].FirstOrDefault() is not { Length: > 0 } proof) return false;
        var given = Encoding.ASCII.GetBytes(proof);
        return _keys.Verifying.Any(key => CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(Sign(key.Key, request, callId))));
    }

    private static string Sign(byte[] key, HttpRequest request, Guid callId)
    {
        var message = $"voki-proxied-download\n{callId:N}\n{request.Headers.Authorization}\n{request.Headers.Range}";
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(message)));
    }
}
