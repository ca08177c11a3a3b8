using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans;
using Voki.Grains.Grains;
using Voki.Grains.Model;

namespace Voki.Silo;

/// <summary>
/// Every call a call's grains handle (requests, reminders, and the work they start, which inherits the scope) logs
/// inside a scope naming the call and its tenant, so a JSON log line says which call it is about wherever it comes from.
/// </summary>
public sealed class CallLogScope(ILogger<CallLogScope> logger) : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.TargetContext.GrainInstance is not (CallGrain or RecordingGrain) || context.TargetId.Key.ToString() is not { } key
            || !key.Contains('/'))
        {
            await context.Invoke();
            return;
        }
        using (logger.BeginScope("CallId:{CallId} Tenant:{Tenant}", TenantKey.IdOf(key), TenantKey.TenantOf(key)))
            await context.Invoke();
    }
}

/// <summary>
/// Orleans starts an activity for a grain call (AddActivityPropagation) only when something listens to its sources.
/// This listener asks for the ids alone (nothing is recorded), and only under a caller's trace, such as an HTTP
/// request's: then a grain's log lines carry the request's TraceId, and work without one pays nothing.
/// </summary>
public static class GrainCallTracing
{
    private static readonly Lazy<ActivityListener> Listener = new(() =>
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Parent == default ? ActivitySamplingResult.None : ActivitySamplingResult.PropagationData,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    });

    public static void Listen() => _ = Listener.Value;
}
