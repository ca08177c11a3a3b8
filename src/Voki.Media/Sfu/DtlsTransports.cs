using System.Net;
using System.Net.Sockets;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Voki.Media.Dtls;

namespace Voki.Media.Sfu;

/// <summary>
/// Every participant's DTLS-SRTP association (RFC 5764), the SFU always the server: handshakes admitted by the node,
/// the call and the source address (<see cref="DtlsHandshakePool"/>), each on a thread of its own with a time limit;
/// after it, the record layer for a retransmitted final flight, close_notify and alerts; and a deadline that drops a
/// peer past ICE whose DTLS did not finish, whatever its consent checks say.
/// </summary>
internal sealed class DtlsTransports : IDisposable
{
    private readonly MediaNodeOptions _options;
    private readonly MediaCounters _counters;
    private readonly PeerPaths _paths;
    private readonly PeerSender _sender;
    private readonly DtlsCertificate _certificate;
    private readonly DtlsHandshakePool _handshakes;
    private readonly DtlsRecordService _records = new();
    private readonly BcTlsCrypto _crypto = new(new SecureRandom());

    public DtlsTransports(MediaNodeOptions options, MediaCounters counters, PeerPaths paths, PeerSender sender, DtlsCertificate certificate)
    {
        (_options, _counters, _paths, _sender, _certificate) = (options, counters, paths, sender, certificate);
        _handshakes = new DtlsHandshakePool(options.MaxHandshakes, options.MaxHandshakesPerCall, options.MaxHandshakesPerAddress);
    }

    public void OnDtls(ReadOnlySpan<byte> datagram, SocketAddress from)
    {
        if (!_paths.TryGet(from, out var peer)) { Interlocked.Increment(ref _counters.DtlsUnknownSource); return; }
        if (peer.State == PeerState.New && !StartHandshake(peer)) return; // refused for now: the client's retransmission tries again
        if (peer.Dtls is not { } dtls) return;
        if (!dtls.Deliver(datagram)) { Interlocked.Increment(ref _counters.DtlsRecordsRateLimited); return; }
        if (dtls.Connected) ServiceRecords(peer, dtls);
    }

    /// <summary>Starts the peer's handshake on a thread of its own, unless the node, its call or its address has its share in flight.</summary>
    private bool StartHandshake(PeerConnection peer)
    {
        if (peer.RemoteEndPoint is not { } endpoint) return false;
        var dtls = new DtlsServerConnection(_crypto, _certificate, peer.RemoteFingerprint, _options.HandshakeTimeout, d => _sender.SendRaw(peer, d.Span));
        var admission = _handshakes.TryStart(peer.Session.Id, endpoint.Address, () => Handshake(peer, dtls));
        switch (admission)
        {
            case HandshakeAdmission.Started:
                peer.Dtls = dtls;
                peer.State = PeerState.Connecting;
                return true;
            case HandshakeAdmission.CallFull: Interlocked.Increment(ref _counters.DtlsHandshakesRefusedPerCall); return false;
            case HandshakeAdmission.AddressFull: Interlocked.Increment(ref _counters.DtlsHandshakesRefusedPerAddress); return false;
            default: Interlocked.Increment(ref _counters.DtlsHandshakesRefusedNodeFull); return false;
        }
    }

    private void Handshake(PeerConnection peer, DtlsServerConnection dtls)
    {
        try
        {
            var keys = dtls.Accept();
            if (peer.State == PeerState.Closed) return;
            (peer.Inbound, peer.Outbound) = keys.ServerContexts();
            peer.State = PeerState.Connected;
            peer.Session.Connected(peer);
            if (dtls.HasPending) ServiceRecords(peer, dtls); // what arrived while the handshake ended
        }
        catch (Exception) when (peer.State == PeerState.Closed)
        {
            // Dropped meanwhile (left, consent or the DTLS deadline): closing the transport ended the handshake.
        }
        catch (TlsTimeoutException)
        {
            Interlocked.Increment(ref _counters.DtlsHandshakeTimeouts);
            peer.Session.Drop(peer, "DTLS handshake timed out");
        }
        catch (Exception)
        {
            Interlocked.Increment(ref _counters.DtlsHandshakeFailures);
            peer.Session.Drop(peer, "DTLS handshake failed");
        }
    }

    /// <summary>After the handshake: our last flight again for a client that retransmits its own, the end of media on close_notify or an alert.</summary>
    private void ServiceRecords(PeerConnection peer, DtlsServerConnection dtls) => _records.Schedule(dtls, (outcome, sent) =>
    {
        if (peer.State == PeerState.Closed) return;
        if (outcome == DtlsRecordOutcome.Open)
        {
            Interlocked.Add(ref _counters.DtlsFinalFlightResends, sent);
            return;
        }
        Interlocked.Increment(ref outcome == DtlsRecordOutcome.ClosedByPeer ? ref _counters.DtlsClosedByPeer : ref _counters.DtlsFatalAlertsReceived);
        peer.Session.Drop(peer, outcome == DtlsRecordOutcome.ClosedByPeer ? "DTLS closed by the peer" : "DTLS fatal alert");
    });

    /// <summary>
    /// A peer past ICE whose DTLS has not finished within the handshake timeout is dropped, whatever its
    /// consent checks say: consent proves only that someone answers STUN, and a handshake that was
    /// refused a slot, or never begun, has no BouncyCastle timeout of its own to end it.
    /// </summary>
    public void EnforceDeadline(SfuSession session, PeerConnection peer, DateTime now)
    {
        if (peer.State is PeerState.Connected or PeerState.Closed || peer.IceConnectedAt is not { } since || now - since <= _options.HandshakeTimeout) return;
        Interlocked.Increment(ref _counters.DtlsDeadlineDrops);
        session.Drop(peer, "DTLS not finished in time");
    }

    /// <summary>Runs one DTLS handshake over loopback queues so the first caller does not pay for JIT and key setup.</summary>
    public void WarmUp()
    {
        var client = DtlsCertificate.Generate();
        QueuedDatagramTransport? clientSide = null;
        var serverSide = new DtlsServerConnection(_crypto, _certificate, client.FingerprintSha256, _options.HandshakeTimeout, d => clientSide!.Deliver(d.Span));
        clientSide = new QueuedDatagramTransport(d => serverSide.Deliver(d.Span));
        var done = new ManualResetEventSlim();
        var admission = _handshakes.TryStart("warm-up", IPAddress.Loopback, () =>
        {
            try { serverSide.Accept(); }
            finally { done.Set(); }
        });
        if (admission != HandshakeAdmission.Started) return;
        try
        {
            new DtlsClientProtocol().Connect(new DtlsSrtpClient(_crypto, client, _certificate.FingerprintSha256, Srtp.SrtpProfiles.Preference), clientSide);
        }
        catch (Exception) { /* warming is best effort */ }
        done.Wait(TimeSpan.FromSeconds(10));
        serverSide.Close();
    }

    public void Dispose()
    {
        _handshakes.Dispose();
        _records.Dispose();
    }
}
