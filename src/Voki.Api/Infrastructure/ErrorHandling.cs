using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;
using Npgsql;
using Orleans.Runtime;

namespace Voki.Api.Infrastructure;

/// <summary>
/// Turns every failure into the documented envelope. A grain whose node just died is retried once for
/// safe methods, then answered 503 with Retry-After; an unexpected exception is a 500 without a stack
/// trace, with the trace id in <c>X-Trace-Id</c> to find it in the log.
/// </summary>
public sealed class ErrorHandling(RequestDelegate next, ILogger<ErrorHandling> logger)
{
    public const string TraceHeader = "X-Trace-Id";
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    public async Task InvokeAsync(HttpContext http)
    {
        http.Response.OnStarting(() =>
        {
            http.Response.Headers[TraceHeader] = Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
            return Task.CompletedTask;
        });
        try
        {
            await next(http);
        }
        catch (Exception e) when (IsClusterUnavailable(e) && HttpMethods.IsGet(http.Request.Method) && !http.Response.HasStarted)
        {
            logger.LogWarning("Retrying {Path} once after a cluster failure: {Message}", http.Request.Path, e.Message);
            await Task.Delay(RetryDelay);
            try
            {
                await next(http);
            }
            catch (Exception again)
            {
                await Write(http, again);
            }
        }
        catch (Exception e)
        {
            await Write(http, e);
        }
    }

    private async Task Write(HttpContext http, Exception e)
    {
        if (http.Response.HasStarted || http.RequestAborted.IsCancellationRequested && e is OperationCanceledException)
        {
            if (!http.Response.HasStarted) http.Response.StatusCode = 499;
            return;
        }
        var (status, body) = e switch
        {
            ApiException api => (api.Status, Envelope.Error(api.Message)),
            ValidationException invalid => (StatusCodes.Status422UnprocessableEntity, Envelope.Errors(invalid.Errors)),
            BadHttpRequestException bad => (bad.StatusCode, Envelope.Error("Bad Request")),
            _ when IsClusterUnavailable(e) => (StatusCodes.Status503ServiceUnavailable, Envelope.Error("Service temporarily unavailable; retry shortly")),
            _ => (StatusCodes.Status500InternalServerError, Envelope.Error("Internal Server Error")),
        };
        // Clear() drops headers too: it comes before the ones this answer sets.
        http.Response.Clear();
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            logger.LogWarning(e, "Cluster unavailable for {Path}", http.Request.Path);
            http.Response.Headers.RetryAfter = "2";
        }
        else if (status >= 500) logger.LogError(e, "Unhandled exception for {Method} {Path}", http.Request.Method, http.Request.Path);
        http.Response.StatusCode = status;
        await http.Response.WriteAsJsonAsync(body);
    }

    private static bool IsClusterUnavailable(Exception e) => e is SiloUnavailableException or OrleansMessageRejectionException
        or TimeoutException or NpgsqlException { IsTransient: true } or OrleansException { InnerException: SiloUnavailableException };

    /// <summary>Responses that end with an error status and no body (unknown route, wrong method…) get the envelope too.</summary>
    public static async Task WriteBodylessStatus(StatusCodeContext context)
    {
        var response = context.HttpContext.Response;
        var detail = response.StatusCode switch
        {
            404 => "Not Found",
            405 => "Method Not Allowed",
            401 => "Unauthorized",
            403 => "Forbidden",
            415 => "Unsupported Media Type",
            429 => "Too Many Requests",
            _ => ReasonPhrases.GetReasonPhrase(response.StatusCode),
        };
        await response.WriteAsJsonAsync(Envelope.Error(detail));
    }
}
