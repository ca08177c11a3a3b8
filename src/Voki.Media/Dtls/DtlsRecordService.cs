using System.Collections.Concurrent;

namespace Voki.Media.Dtls;

/// <summary>
/// One thread that services the record layers of connected peers (<see cref="DtlsServerConnection.ServiceRecords"/>)
/// when a DTLS datagram arrives for one, instead of a thread per peer: post-handshake DTLS is rare
/// (a retransmitted flight, close_notify), and each connection is queued at most once at a time, so
/// the queue never holds more than the node's peers.
/// </summary>
public sealed class DtlsRecordService : IDisposable
{
    private readonly BlockingCollection<(DtlsServerConnection Connection, Action<DtlsRecordOutcome, int> Serviced)> _due = new();
    private readonly Thread _thread;

    public DtlsRecordService()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "dtls-records" };
        _thread.Start();
    }

    /// <summary>Has the connection's queued datagrams read; <paramref name="serviced"/> gets the outcome and the datagrams we sent in answer.</summary>
    public void Schedule(DtlsServerConnection connection, Action<DtlsRecordOutcome, int> serviced)
    {
        if (!connection.TryMarkServiceQueued()) return;
        try { _due.Add((connection, serviced)); }
        catch (InvalidOperationException) { /* shutting down */ }
    }

    private void Run()
    {
        foreach (var (connection, serviced) in _due.GetConsumingEnumerable())
        {
            try
            {
                var outcome = connection.ServiceRecords(out var sent);
                serviced(outcome, sent);
            }
            catch (Exception) { /* one peer's failure never stops the others' service */ }
        }
    }

    public void Dispose() => _due.CompleteAdding();
}
