using System.Collections.Concurrent;

namespace Voki.Media.Sfu;

/// <summary>
/// BouncyCastle's DTLS engine blocks while it waits for flights, so handshakes run on a fixed set of
/// threads: a burst of joins queues up instead of exhausting the thread pool.
/// </summary>
public sealed class DtlsHandshakePool : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread[] _threads;

    public DtlsHandshakePool(int workers)
    {
        _threads = Enumerable.Range(0, workers).Select(i => new Thread(Run) { IsBackground = true, Name = $"dtls-{i}" }).ToArray();
        foreach (var thread in _threads) thread.Start();
    }

    public void Enqueue(Action handshake) => _work.Add(handshake);

    private void Run()
    {
        foreach (var handshake in _work.GetConsumingEnumerable())
        {
            try { handshake(); }
            catch { /* each handshake reports its own failure */ }
        }
    }

    public void Dispose() => _work.CompleteAdding();
}
