using System.Collections.Concurrent;
using Org.BouncyCastle.Tls;

namespace Voki.Media.Dtls;

/// <summary>
/// Gives BouncyCastle's blocking DTLS engine a datagram transport: datagrams the UDP loop routes to
/// this peer are queued here, and sends go back out through the shared socket.
/// </summary>
/// <remarks>
/// BouncyCastle writes every handshake message as a datagram of its own, so a flight of five messages
/// is lost whenever any one of its five datagrams is (a quarter of the time at 5 % loss). Records are
/// packed into datagrams up to the MTU instead (RFC 6347 §4.1.1 allows several per datagram) and a
/// datagram goes out when the engine turns to reading, i.e. when its flight is complete, or on
/// <see cref="Flush"/> (a server's last flight, which no read follows).
/// </remarks>
public sealed class QueuedDatagramTransport(Action<ReadOnlyMemory<byte>> send, int mtu = 1200) : DatagramTransport
{
    private readonly BlockingCollection<byte[]> _incoming = new(boundedCapacity: 64);
    private readonly byte[] _outgoing = new byte[mtu];
    private readonly object _sendGate = new();
    private int _outgoingLength;
    private volatile bool _closed;

    /// <summary>Called from the receive loop; false (the datagram dropped) when closed or when the peer is flooding us.</summary>
    public bool Deliver(ReadOnlySpan<byte> datagram) => !_closed && _incoming.TryAdd(datagram.ToArray());

    /// <summary>Datagrams delivered and not yet read by the DTLS engine.</summary>
    public int Pending => _incoming.Count;

    /// <summary>Closed by us, or by the DTLS engine after the peer's close_notify.</summary>
    public bool IsClosed => _closed;

    public int GetReceiveLimit() => 1500;

    public int GetSendLimit() => mtu;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (_closed) throw new TlsFatalAlert(AlertDescription.close_notify);
        Flush();
        try
        {
            if (!_incoming.TryTake(out var datagram, waitMillis)) return -1;
            var length = Math.Min(datagram.Length, buffer.Length);
            datagram.AsSpan(0, length).CopyTo(buffer);
            return length;
        }
        catch (InvalidOperationException) when (_closed)
        {
            throw new TlsFatalAlert(AlertDescription.close_notify); // closed while we waited
        }
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        lock (_sendGate)
        {
            if (_closed) return;
            if (_outgoingLength + buffer.Length > _outgoing.Length) FlushLocked();
            if (buffer.Length > _outgoing.Length) { send(buffer.ToArray()); return; }
            buffer.CopyTo(_outgoing.AsSpan(_outgoingLength));
            _outgoingLength += buffer.Length;
        }
    }

    /// <summary>Sends the records written since the last datagram went out.</summary>
    public void Flush()
    {
        lock (_sendGate) FlushLocked();
    }

    private void FlushLocked()
    {
        if (_outgoingLength == 0 || _closed) return;
        send(_outgoing.AsSpan(0, _outgoingLength).ToArray());
        _outgoingLength = 0;
    }

    /// <summary>Sends what is pending (an alert the engine wrote last) and refuses everything after.</summary>
    public void Close()
    {
        Flush();
        _closed = true;
        _incoming.CompleteAdding();
    }
}
