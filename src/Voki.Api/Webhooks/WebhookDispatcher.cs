using System.Diagnostics;
using System.Text;
using Voki.Grains;
using Voki.Grains.Webhooks;

namespace Voki.Api.Webhooks;

/// <summary>
/// This node's webhook dispatcher: a few workers that each claim one due delivery (the row stays locked while it is
/// sent, so no other node sends the same attempt), POST it signed, and record the attempt. A 2xx delivers; anything
/// else (another status, a timeout, a refused or failed connection, a redirect) is retried with exponential back-off
/// and jitter until <see cref="WebhookOptions.RetryFor"/> has passed since the event, then the delivery is failed with
/// its last status. Grains and requests only ever write the outbox: nothing here runs on their paths.
/// </summary>
public sealed class WebhookDispatcher(WebhookRows rows, IHttpClientFactory clients, WebhookOptions options, ILogger<WebhookDispatcher> logger,
    Metrics.VokiMetrics? metrics = null)
    : BackgroundService
{
    public const string ClientName = "webhooks";
    private const int MaxErrorLength = 300;

    protected override Task ExecuteAsync(CancellationToken stopping) =>
        Task.WhenAll(Enumerable.Range(0, Math.Max(1, options.Concurrency)).Select(_ => Task.Run(() => Work(stopping), CancellationToken.None)));

    private async Task Work(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var sent = false;
            try
            {
                sent = await DeliverNextAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The database is away or the schema not there yet: try again at the next poll.
                logger.LogWarning(e, "Webhook dispatcher could not claim or record a delivery");
            }
            if (sent) continue;
            try
            {
                // Spread the workers' polls so that they do not all query at once.
                await Task.Delay(options.PollInterval * (0.75 + Random.Shared.NextDouble() / 2), stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Sends the next due delivery, if any; false when none was due. Stopping mid-send leaves it unrecorded and due.</summary>
    public async Task<bool> DeliverNextAsync(CancellationToken stopping)
    {
        await using var claim = await rows.ClaimAsync(stopping);
        if (claim is null) return false;
        using var scope = logger.BeginScope("Tenant:{Tenant} WebhookId:{WebhookId} EventId:{EventId}", claim.Tenant, claim.WebhookId, claim.EventId);
        var attempt = await SendAsync(claim, stopping);
        var delivered = attempt.StatusCode is >= 200 and < 300;
        var retryAt = delivered ? null : NextAttemptAt(claim.AttemptCount + 1, claim.InsertedAt);
        await claim.RecordAsync(attempt, delivered, retryAt, CancellationToken.None);
        metrics?.WebhookAttempt(delivered ? "delivered" : retryAt is null ? "failed" : "retrying", claim.Event,
            TimeSpan.FromMilliseconds(attempt.DurationMs));
        if (delivered)
            logger.LogInformation("Webhook {Webhook} of {Tenant}: {Event} {EventId} delivered (HTTP {Status}, attempt {Attempt})",
                claim.WebhookId, claim.Tenant, claim.Event, claim.EventId, attempt.StatusCode, claim.AttemptCount + 1);
        else if (retryAt is null)
            logger.LogWarning("Webhook {Webhook} of {Tenant}: {Event} {EventId} failed after {Attempts} attempts: {Error}",
                claim.WebhookId, claim.Tenant, claim.Event, claim.EventId, claim.AttemptCount + 1, attempt.Error);
        else
            logger.LogInformation("Webhook {Webhook} of {Tenant}: {Event} {EventId} attempt {Attempt} failed ({Error}); next at {RetryAt:O}",
                claim.WebhookId, claim.Tenant, claim.Event, claim.EventId, claim.AttemptCount + 1, attempt.Error, retryAt);
        return true;
    }

    /// <summary>After the n-th failed attempt: FirstRetryDelay·2^(n-1), capped, times a random 0.5-1; null once past RetryFor.</summary>
    public DateTime? NextAttemptAt(int failedAttempts, DateTime eventAt)
    {
        var exponential = options.FirstRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failedAttempts - 1, 40));
        var wait = Math.Min(exponential, options.MaxRetryDelay.TotalMilliseconds) * (0.5 + Random.Shared.NextDouble() / 2);
        var next = DateTime.UtcNow.AddMilliseconds(wait);
        return next <= DateTime.SpecifyKind(eventAt, DateTimeKind.Utc) + options.RetryFor ? next : null;
    }

    private async Task<DeliveryAttempt> SendAsync(DeliveryClaim claim, CancellationToken stopping)
    {
        var at = Clock.Now();
        var clock = Stopwatch.StartNew();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, claim.Url)
        {
            Content = new StringContent(claim.Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(claim.Secret, claim.Body));
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString());
        request.Headers.Add(WebhookSignature.TimestampSignatureHeader, WebhookSignature.SignTimestamped(claim.Secret, timestamp, claim.Body));
        request.Headers.Add(WebhookSignature.EventIdHeader, claim.EventId.ToString());
        request.Headers.Add(WebhookSignature.EventHeader, claim.Event);
        request.Headers.Add(WebhookSignature.DeliveryIdHeader, claim.Id.ToString());
        request.Headers.UserAgent.ParseAdd("Voki-Webhooks/1.0");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(options.Timeout);
        int? status = null;
        string? error;
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            error = response.IsSuccessStatusCode ? null : $"HTTP {status}";
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            error = $"timed out after {options.Timeout.TotalSeconds:0.#} s";
        }
        catch (HttpRequestException e)
        {
            error = e.InnerException is WebhookTargetRefusedException refused ? refused.Message : e.Message;
        }
        catch (WebhookTargetRefusedException refused)
        {
            error = refused.Message;
        }
        if (error is { Length: > MaxErrorLength }) error = error[..(MaxErrorLength - 3)] + "...";
        return new DeliveryAttempt(at, status, error, (int)clock.ElapsedMilliseconds);
    }
}

public static class WebhookSetup
{
    public static IServiceCollection AddVokiWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("Webhooks").Get<WebhookOptions>() ?? new WebhookOptions();
        services.AddSingleton(options);
        services.AddSingleton<WebhookAddressResolver>();
        services.AddSingleton<WebhookTargets>();
        services.AddHttpClient(WebhookDispatcher.ClientName, client => client.Timeout = options.Timeout + TimeSpan.FromSeconds(5))
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                // A redirect is a failed attempt: following one would reach a URL nobody checked.
                AllowAutoRedirect = false,
                UseProxy = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(1),
                ConnectCallback = provider.GetRequiredService<WebhookTargets>().ConnectAsync,
            });
        services.AddHostedService<WebhookDispatcher>();
        return services;
    }
}
