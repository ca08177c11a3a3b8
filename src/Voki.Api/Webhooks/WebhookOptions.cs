namespace Voki.Api.Webhooks;

/// <summary>Configuration section "Webhooks": how this node's dispatcher delivers (README, "Webhooks").</summary>
public sealed class WebhookOptions
{
    /// <summary>
    /// Lets webhooks target loopback, private, link-local and other non-public addresses. Off: such URLs are refused
    /// when a webhook is saved and again when a delivery connects (the name is resolved then, so DNS cannot point it inward).
    /// </summary>
    public bool AllowPrivateTargets { get; set; }
    /// <summary>How long one attempt may take, connection to response headers.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>The wait after the first failed attempt; each further wait doubles (with jitter), up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);
    /// <summary>How long after the event a delivery is retried; then it is marked failed with its last status.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);
    /// <summary>How often an idle dispatcher looks for due deliveries.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>Deliveries this node sends at once.</summary>
    public int Concurrency { get; set; } = 4;
    /// <summary>Webhooks one tenant may have.</summary>
    public int MaxPerTenant { get; set; } = 20;
}
