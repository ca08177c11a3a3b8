namespace Voki.Api.Infrastructure;

/// <summary>
/// A request about one call (a route with {callId}, or /api/v1/calls/{id}/…) logs inside a scope naming it, next to the
/// request's trace id that ASP.NET Core's own scope carries.
/// </summary>
public sealed class CallLogScopes(RequestDelegate next, ILogger<CallLogScopes> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var values = http.Request.RouteValues;
        var callId = values.TryGetValue("callId", out var named) ? named
            : http.Request.Path.StartsWithSegments("/api/v1/calls") && values.TryGetValue("id", out var id) ? id : null;
        if (callId is null || !Guid.TryParse(callId.ToString(), out var call))
        {
            await next(http);
            return;
        }
        using (logger.BeginScope("CallId:{CallId}", call))
            await next(http);
    }
}
