namespace Voki.Grains.Grains;

/// <summary>
/// The calls whose media session is open on this node (one per call grain activation holding an SFU session), for
/// metrics and for the room compositions get (<see cref="CompositionSlots"/>). One per node (a DI singleton); a grain
/// without it (tests' silos) counts nothing.
/// </summary>
public sealed class NodeCalls
{
    private int _withMedia;

    public int WithMedia => Volatile.Read(ref _withMedia);

    /// <summary>Raised after every open and close, on the thread that made it.</summary>
    public event Action? Changed;

    public void MediaOpened()
    {
        Interlocked.Increment(ref _withMedia);
        Changed?.Invoke();
    }

    public void MediaClosed()
    {
        Interlocked.Decrement(ref _withMedia);
        Changed?.Invoke();
    }
}
