using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;

namespace Voki.Media.Dtls;

/// <summary>What servicing a connected peer's record layer found.</summary>
public enum DtlsRecordOutcome { Open, ClosedByPeer, FatalAlert }

/// <summary>
/// One peer's DTLS server (RFC 6347): the handshake, then the record layer kept alive. The server sends
/// the last flight (ChangeCipherSpec, Finished), so when that flight is lost only the client's
/// retransmission of its own flight tells us; we must answer it with ours again (§4.2.4). After the
/// handshake the layer also reads close_notify and fatal alerts, which end the peer's media.
/// </summary>
public sealed class DtlsServerConnection
{
    /// <summary>
    /// A client retransmits a flight of a few datagrams a few times with back-off; more than this in a
    /// second after the handshake is a flood, and each one could make us resend a flight.
    /// </summary>
    private const int DatagramsPerSecondAfterHandshake = 20;

    private readonly QueuedDatagramTransport _transport;
    private readonly DtlsSrtpServer _server;
    private readonly byte[] _plaintext = new byte[1500];
    private volatile DtlsTransport? _records;
    private int _serviceQueued;
    private long _sent;
    private long _windowStart;
    private int _inWindow;

    public DtlsServerConnection(TlsCrypto crypto, DtlsCertificate certificate, string expectedPeerFingerprint, TimeSpan handshakeTimeout,
        Action<ReadOnlyMemory<byte>> send)
    {
        _transport = new QueuedDatagramTransport(d => { Interlocked.Increment(ref _sent); send(d); });
        _server = new DtlsSrtpServer(crypto, certificate, expectedPeerFingerprint) { HandshakeTimeout = handshakeTimeout };
    }

    /// <summary>The handshake has finished: what arrives now is for <see cref="ServiceRecords"/>.</summary>
    public bool Connected => _records is not null;

    /// <summary>Datagrams delivered and not read yet.</summary>
    public bool HasPending => _transport.Pending > 0;

    /// <summary>
    /// Runs the handshake, blocking until it completes, fails, or passes the handshake timeout
    /// (<see cref="TlsTimeoutException"/>); BouncyCastle retransmits our flights meanwhile.
    /// </summary>
    public SrtpKeyingMaterial Accept()
    {
        try
        {
            _records = new DtlsServerProtocol().Accept(_server, _transport);
            return _server.Keys ?? throw new TlsFatalAlert(AlertDescription.internal_error);
        }
        finally
        {
            _transport.Flush(); // our last flight: no read follows it
        }
    }

    /// <summary>
    /// Queues a datagram from the peer. During the handshake <see cref="Accept"/> reads it; afterwards
    /// the caller should have <see cref="ServiceRecords"/> run. False when it was dropped: closed, the
    /// queue full, or over the rate allowed after the handshake.
    /// </summary>
    public bool Deliver(ReadOnlySpan<byte> datagram)
    {
        if (Connected)
        {
            var now = Environment.TickCount64;
            if (now - _windowStart >= 1000) { _windowStart = now; _inWindow = 0; }
            if (++_inWindow > DatagramsPerSecondAfterHandshake) return false;
        }
        return _transport.Deliver(datagram);
    }

    /// <summary>True for the caller that should queue a service run; false when one is already queued.</summary>
    public bool TryMarkServiceQueued() => Interlocked.CompareExchange(ref _serviceQueued, 1, 0) == 0;

    /// <summary>
    /// Reads what arrived since the handshake (call from one thread at a time, after <see cref="Accept"/>):
    /// BouncyCastle answers a retransmitted client flight with our last flight; application data is
    /// discarded (no data channel is negotiated). Blocks about a millisecond once the queue is empty.
    /// </summary>
    public DtlsRecordOutcome ServiceRecords(out int datagramsSent)
    {
        Volatile.Write(ref _serviceQueued, 0); // a datagram arriving from here on queues another run
        var before = Interlocked.Read(ref _sent);
        try
        {
            if (_records is not { } records) return DtlsRecordOutcome.Open;
            // A wait of 0 means "for ever" to BouncyCastle: 1 ms is the shortest finite read.
            while (!_transport.IsClosed && records.Receive(_plaintext, 0, _plaintext.Length, 1) >= 0) { }
            return _transport.IsClosed ? DtlsRecordOutcome.ClosedByPeer : DtlsRecordOutcome.Open;
        }
        catch (TlsFatalAlertReceived)
        {
            return DtlsRecordOutcome.FatalAlert;
        }
        catch (Exception) when (_transport.IsClosed)
        {
            return DtlsRecordOutcome.ClosedByPeer; // close_notify: BouncyCastle answered it and closed the transport
        }
        catch (Exception)
        {
            return DtlsRecordOutcome.FatalAlert; // a record the layer could not survive; it has sent its alert
        }
        finally
        {
            _transport.Flush();
            datagramsSent = (int)(Interlocked.Read(ref _sent) - before);
        }
    }

    /// <summary>Ends the connection from our side (the peer left or was dropped); a blocked handshake returns at once.</summary>
    public void Close() => _transport.Close();
}
