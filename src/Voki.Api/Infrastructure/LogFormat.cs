using System.Diagnostics;

namespace Voki.Api.Infrastructure;

/// <summary>
/// Logging:Format: "text" (the default console) or "json", one JSON object a line (the built-in JSON console) with its
/// scopes: the request's TraceId, SpanId and ParentId (the W3C trace context, also in X-Trace-Id on errors), its
/// RequestPath, and the CallId (and Tenant) wherever a call is concerned.
/// </summary>
public static class LogFormat
{
    public static void UseVokiLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.Configure(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        var format = builder.Configuration["Logging:Format"];
        if (string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            });
        }
        else if (format is { Length: > 0 } && !string.Equals(format, "text", StringComparison.OrdinalIgnoreCase))
            throw new UnsafeConfigurationException([$"Logging:Format \"{format}\" is neither text nor json."]);
    }
}
