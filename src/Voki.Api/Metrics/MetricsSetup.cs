using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Voki.Api.Auth;
using Voki.Grains.Grains;

namespace Voki.Api.Metrics;

/// <summary>
/// Configuration section "Metrics". <c>/metrics</c> (Prometheus text) takes <c>Authorization: Bearer Metrics:Token</c>,
/// a credential of its own so that the one written into Prometheus' scrape configuration cannot change plans (as the
/// operator token can). Outside Development a node without Metrics:Token serves no /metrics; in Development without
/// one it is open (./voki run listens on loopback). Otlp:Endpoint also pushes the same metrics over OTLP; off when unset.
/// </summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";
    public const int MinimumTokenBytes = 32;

    public string Token { get; set; } = "";
    /// <summary>An OTLP collector (e.g. http://collector:4317 for gRPC, or …:4318/v1/metrics with Protocol HttpProtobuf).</summary>
    public string OtlpEndpoint { get; set; } = "";
    public string OtlpProtocol { get; set; } = "Grpc";
    public int OtlpIntervalSeconds { get; set; } = 15;

    /// <summary>Settings that cannot mean anything, refused in every environment.</summary>
    public static IEnumerable<string> MalformedRefusals(IConfiguration configuration)
    {
        var endpoint = configuration[$"{Section}:OtlpEndpoint"] ?? "";
        if (endpoint.Length > 0 && !(Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            yield return $"Metrics:OtlpEndpoint \"{endpoint}\" is not an http(s) URL (e.g. http://collector:4317).";
        var protocol = configuration[$"{Section}:OtlpProtocol"] ?? "";
        if (protocol.Length > 0 && !Enum.TryParse<OpenTelemetry.Exporter.OtlpExportProtocol>(protocol, ignoreCase: true, out _))
            yield return $"Metrics:OtlpProtocol \"{protocol}\" is neither Grpc nor HttpProtobuf.";
    }

    public static IEnumerable<string> Refusals(IConfiguration configuration)
    {
        var token = configuration[$"{Section}:Token"] ?? "";
        if (token.Length > 0 && Encoding.UTF8.GetByteCount(token) < MinimumTokenBytes)
            yield return $"Metrics:Token is shorter than {MinimumTokenBytes} bytes. Set Metrics__Token to a random secret of at least 32 bytes, or leave it unset to serve no /metrics.";
    }
}

public static class MetricsSetup
{
    public const string Path = "/metrics";
    public const string Policy = "metrics";

    /// <summary>The meters exported: ASP.NET Core and Kestrel, the .NET runtime, Orleans, Npgsql, and Voki's own.</summary>
    public static IServiceCollection AddVokiMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();
        services.AddSingleton(options);
        services.AddSingleton<VokiMetrics>();
        Decorate<IRecordingComposer>(services, (inner, provider) => new MeteredRecordingComposer(inner, provider.GetRequiredService<VokiMetrics>()));
        Decorate<ICallTranscriber>(services, (inner, provider) => new MeteredCallTranscriber(inner, provider.GetRequiredService<VokiMetrics>()));

        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, MetricsAuthenticationHandler>(MetricsAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy.AddAuthenticationSchemes(MetricsAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser().RequireClaim(ClaimNames.Role, MetricsAuthenticationHandler.RoleName));

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("voki", serviceInstanceId: Environment.MachineName))
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddNpgsqlInstrumentation()
                    // Orleans' own meter (grains, messaging, membership, storage, reminders, streams).
                    .AddMeter("Microsoft.Orleans")
                    .AddMeter(VokiMetrics.MeterName)
                    .AddPrometheusExporter();
                if (options.OtlpEndpoint.Length > 0)
                    metrics.AddOtlpExporter((exporter, reader) =>
                    {
                        exporter.Endpoint = new Uri(options.OtlpEndpoint);
                        exporter.Protocol = Enum.Parse<OpenTelemetry.Exporter.OtlpExportProtocol>(options.OtlpProtocol, ignoreCase: true);
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = Math.Max(1, options.OtlpIntervalSeconds) * 1000;
                    });
            });
        return services;
    }

    /// <summary>Maps /metrics behind Metrics:Token (open in Development without one; absent elsewhere without one).</summary>
    public static void MapVokiMetrics(this WebApplication app)
    {
        // Creates Voki's instruments now, not on the first scrape, so OTLP pushes them from the start too.
        app.Services.GetRequiredService<VokiMetrics>();
        var options = app.Services.GetRequiredService<MetricsOptions>();
        if (options.Token.Length > 0) app.MapPrometheusScrapingEndpoint(Path).RequireAuthorization(Policy);
        else if (app.Environment.IsDevelopment()) app.MapPrometheusScrapingEndpoint(Path).AllowAnonymous();
    }

    /// <summary>Wraps the last registration of <typeparamref name="T"/> (a singleton), if there is one.</summary>
    private static void Decorate<T>(IServiceCollection services, Func<T, IServiceProvider, T> wrap) where T : class
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(T));
        if (registered is null) return;
        services.Remove(registered);
        services.Add(ServiceDescriptor.Singleton<T>(provider =>
        {
            var inner = registered.ImplementationInstance as T
                        ?? registered.ImplementationFactory?.Invoke(provider) as T
                        ?? (T)ActivatorUtilities.CreateInstance(provider, registered.ImplementationType!);
            return wrap(inner, provider);
        }));
    }
}

/// <summary>Bearer authentication against the configured Metrics:Token, compared in constant time.</summary>
public sealed class MetricsAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, MetricsOptions metrics)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Metrics";
    public const string RoleName = "metrics";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var expected = metrics.Token;
        var header = Request.Headers.Authorization.FirstOrDefault();
        if (expected.Length == 0 || header is null || !header.StartsWith("Bearer ", StringComparison.Ordinal))
            return Task.FromResult(AuthenticateResult.NoResult());
        var presented = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(presented), SHA256.HashData(Encoding.UTF8.GetBytes(expected))))
            return Task.FromResult(AuthenticateResult.Fail("Wrong metrics token"));
        var identity = new ClaimsIdentity([new Claim(ClaimNames.Role, RoleName)], SchemeName, ClaimNames.Subject, ClaimNames.Role);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Response.WriteAsJsonAsync(Infrastructure.Envelope.Error("Unauthorized"));
    }
}
