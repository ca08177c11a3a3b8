using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Voki.Api.Infrastructure;
using Voki.Grains.Security;

namespace Voki.Api.Auth;

/// <summary>
/// Configuration section "Dashboard": the Orleans dashboard shows every tenant's grain state, so outside Development it
/// is served only behind an operator credential of its own (HTTP Basic: a user name and a PBKDF2 hash of the password,
/// made with <c>./voki dashboard-password</c>), never a tenant's token, over HTTPS. In Development without a credential
/// it stays open, as <c>./voki run</c> serves it on loopback.
/// </summary>
public sealed class DashboardAccessOptions
{
    /// <summary>A password the repository publishes (tests, examples): refused outside Development.</summary>
    public const string DevelopmentPassword = "voki-development-dashboard-password";
    public const int MinimumIterations = 100_000;

    public bool? Enabled { get; set; }
    public string User { get; set; } = "";
    public string PasswordHash { get; set; } = "";
    /// <summary>Serve it over plain HTTP outside Development (a TLS-terminating proxy that is not a configured known proxy).</summary>
    public bool AllowHttp { get; set; }
    /// <summary>Wrong credentials one client address may present per minute; beyond, 429 without checking.</summary>
    public int FailuresPerMinute { get; set; } = 5;

    public bool HasCredential => User.Length > 0 && PasswordHash.Length > 0;

    public bool Served(IHostEnvironment environment) => Enabled ?? (HasCredential || environment.IsDevelopment());

    /// <summary>Settings that cannot work anywhere: half a credential, or a hash that is not one.</summary>
    public IEnumerable<string> Refusals()
    {
        if (User.Length > 0 != PasswordHash.Length > 0)
            yield return "Dashboard:User and Dashboard:PasswordHash go together: set both (./voki dashboard-password makes the hash) or neither.";
        else if (PasswordHash.Length > 0 && Iterations(PasswordHash) is null)
            yield return "Dashboard:PasswordHash is not a hash made by ./voki dashboard-password (pbkdf2-sha256$iterations$salt$hash).";
    }

    /// <summary>Outside Development: no open dashboard, no weak or published credential.</summary>
    public IEnumerable<string> ProductionRefusals()
    {
        if (Enabled == true && !HasCredential)
            yield return "Dashboard:Enabled is true but no operator credential is set: the dashboard would show every tenant's data to anyone. " +
                         "Set Dashboard__User and Dashboard__PasswordHash (./voki dashboard-password), or leave Dashboard:Enabled unset.";
        if (!HasCredential || Iterations(PasswordHash) is not { } iterations) yield break;
        if (iterations < MinimumIterations)
            yield return $"Dashboard:PasswordHash uses {iterations} PBKDF2 iterations, fewer than {MinimumIterations}. Make a new one with ./voki dashboard-password.";
        else if (new PasswordHasher().Verify(DevelopmentPassword, PasswordHash))
            yield return "Dashboard:PasswordHash is the hash of the development password published in the repository. Choose another password.";
    }

    private static int? Iterations(string hash)
    {
        var parts = hash.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256" || !int.TryParse(parts[1], out var rounds) || rounds < 1) return null;
        try
        {
            return Convert.FromBase64String(parts[2]).Length >= 16 && Convert.FromBase64String(parts[3]).Length >= 32 ? rounds : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>
/// Admits a dashboard request with the operator's HTTP Basic credential. A tenant's bearer token is just a wrong
/// credential here. Wrong credentials are counted per client address (a fixed window of a minute); past the limit the
/// address gets 429 without its password being checked. A verified credential is remembered for a few minutes, so the
/// dashboard's polling (several requests a second) does not run PBKDF2 each time.
/// </summary>
public sealed class DashboardGate(DashboardAccessOptions options, IHostEnvironment environment, ILogger<DashboardGate> logger)
{
    public const string Realm = "Voki operator dashboard";
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1), Remembered = TimeSpan.FromMinutes(5);
    private readonly PartitionedRateLimiter<string> _failures = FixedWindows.PerKey<string>(Math.Max(1, options.FailuresPerMinute), Window);
    private readonly ConcurrentDictionary<string, DateTime> _verified = new();
    private readonly PasswordHasher _hasher = new();

    /// <summary>Null when the request may go on; otherwise the refusal to send.</summary>
    public IResult? Refusal(HttpContext http)
    {
        if (!options.HasCredential) return null; // Development without a credential (outside it the dashboard is not mapped)
        if (!environment.IsDevelopment() && !options.AllowHttp && !http.Request.IsHttps)
            return Results.Json(Envelope.Error("The dashboard is served over HTTPS only"), statusCode: StatusCodes.Status403Forbidden);
        var address = ClientAddress.Partition(http.Connection.RemoteIpAddress);
        if (_failures.GetStatistics(address) is { CurrentAvailablePermits: <= 0 })
            return RateLimits.TooManyRequests(http.Response, Window);
        var header = http.Request.Headers.Authorization.ToString();
        if (header.Length == 0) return Challenge(http);
        var fingerprint = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(header)));
        if (_verified.TryGetValue(fingerprint, out var until) && until > DateTime.UtcNow) return null;
        if (Verify(header))
        {
            if (_verified.Count > 1000) _verified.Clear();
            _verified[fingerprint] = DateTime.UtcNow + Remembered;
            return null;
        }
        _failures.TryAcquire(address, Window, out _);
        logger.LogWarning("Dashboard: wrong operator credential from {Address}", address);
        return Challenge(http);
    }

    private bool Verify(string header)
    {
        if (!AuthenticationHeaderValue.TryParse(header, out var parsed) || !string.Equals(parsed.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || parsed.Parameter is null) return false;
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parsed.Parameter));
        }
        catch (FormatException)
        {
            return false;
        }
        var colon = decoded.IndexOf(':');
        if (colon < 0) return false;
        var userMatches = CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(decoded[..colon])), SHA256.HashData(Encoding.UTF8.GetBytes(options.User)));
        // The password is checked whatever the user name, so timing tells neither apart.
        return _hasher.Verify(decoded[(colon + 1)..], options.PasswordHash) && userMatches;
    }

    private static IResult Challenge(HttpContext http)
    {
        http.Response.Headers.WWWAuthenticate = $"Basic realm=\"{Realm}\", charset=\"UTF-8\"";
        return Results.Json(Envelope.Error("Unauthorized"), statusCode: StatusCodes.Status401Unauthorized);
    }
}

public static class DashboardAccess
{
    /// <summary>Puts the gate in front of every dashboard endpoint (its request delegates exist once its conventions ran).</summary>
    public static IEndpointConventionBuilder BehindOperatorCredential(this IEndpointConventionBuilder dashboard)
    {
        dashboard.Finally(endpoint =>
        {
            if (endpoint.RequestDelegate is not { } inner) return;
            endpoint.RequestDelegate = async http =>
            {
                if (http.RequestServices.GetRequiredService<DashboardGate>().Refusal(http) is { } refusal) await refusal.ExecuteAsync(http);
                else await inner(http);
            };
        });
        return dashboard;
    }
}
