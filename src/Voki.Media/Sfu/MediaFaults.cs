using System.Collections.Concurrent;

namespace Voki.Media.Sfu;

/// <summary>Where the media plane caught a bug: each place has a counter of its own in <see cref="MediaCounters"/>.</summary>
public enum MediaFaultSite
{
    /// <summary>A datagram's handler on the receive thread (<see cref="MediaCounters.HandlerExceptions"/>).</summary>
    ReceiveThread,
    /// <summary>The RTCP timer, NACK and probe work (<see cref="MediaCounters.BackgroundExceptions"/>).</summary>
    BackgroundThread,
    /// <summary>A handler of the session's owner (OfferReady, ParticipantConnected, ParticipantDropped, QualitySampled) (<see cref="MediaCounters.OwnerHandlerExceptions"/>).</summary>
    OwnerHandler,
}

/// <summary>
/// Bugs caught where they surfaced, so that one call's fault never stops the node or anyone else's media. Bad input is
/// refused where it is found, without an exception, so everything that lands here is a bug: it is counted, and the first
/// of each site every <see cref="ReportEvery"/> goes to <see cref="Caught"/> for the host to log with its stack (a fault
/// hit by every packet would otherwise log thousands of lines a second).
/// </summary>
public sealed class MediaFaults(MediaCounters counters)
{
    public static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<MediaFaultSite, long> _lastReported = new();

    /// <summary>A bug the media plane caught and went on from; raised at most once per site every <see cref="ReportEvery"/>.</summary>
    public event Action<MediaFaultSite, Exception>? Caught;

    public void Record(MediaFaultSite site, Exception exception)
    {
        switch (site)
        {
            case MediaFaultSite.ReceiveThread: Interlocked.Increment(ref counters.HandlerExceptions); break;
            case MediaFaultSite.BackgroundThread: Interlocked.Increment(ref counters.BackgroundExceptions); break;
            default: Interlocked.Increment(ref counters.OwnerHandlerExceptions); break;
        }
        var now = Environment.TickCount64;
        var last = _lastReported.GetOrAdd(site, long.MinValue);
        if (last != long.MinValue && now - last < (long)ReportEvery.TotalMilliseconds) return;
        if (!_lastReported.TryUpdate(site, now, last)) return; // another thread reports this one
        try { Caught?.Invoke(site, exception); }
        catch (Exception) { /* a failing logger must not become the media plane's fault */ }
    }

    /// <summary>
    /// Raises one of the owner's events, each handler on its own: what one throws is the owner's bug, never the media's
    /// (the peer stays connected, the thread goes on, and the handlers after it still hear of the event).
    /// </summary>
    public void Notify<T>(Action<T>? handlers, T argument)
    {
        if (handlers is null) return;
        foreach (var handler in handlers.GetInvocationList())
        {
            try { ((Action<T>)handler)(argument); }
            catch (Exception e) { Record(MediaFaultSite.OwnerHandler, e); }
        }
    }

    /// <inheritdoc cref="Notify{T}"/>
    public void Notify<T1, T2>(Action<T1, T2>? handlers, T1 first, T2 second)
    {
        if (handlers is null) return;
        foreach (var handler in handlers.GetInvocationList())
        {
            try { ((Action<T1, T2>)handler)(first, second); }
            catch (Exception e) { Record(MediaFaultSite.OwnerHandler, e); }
        }
    }
}
