using System.Collections.Concurrent;
using Org.BouncyCastle.Tls;

namespace Voki.Media.Dtls;

/// <summary>
/// Gives BouncyCastle's blocking DTLS engine a datagram transport: datagrams the UDP loop routes to
/// this peer are queued here, and sends go back out through the shared socket.
/// </summary>
public sealed class QueuedDatagramTransport(Action<ReadOnlyMemory<byte>> send, int mtu = 1200) : DatagramTransport
{
    private readonly BlockingCollection<byte[]> _incoming = new(boundedCapacity: 64);
    private volatile bool _closed;

    /// <summary>Called from the receive loop; drops the datagram when the peer is flooding us.</summary>
    public void Deliver(ReadOnlySpan<byte> datagram)
    {
        if (!_closed) _incoming.TryAdd(datagram.ToArray());
    }

    public int GetReceiveLimit() => 1500;

    public int GetSendLimit() => mtu;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (_closed) throw new TlsFatalAlert(AlertDescription.close_notify);
        if (!_incoming.TryTake(out var datagram, waitMillis)) return -1;
        var length = Math.Min(datagram.Length, buffer.Length);
        datagram.AsSpan(0, length).CopyTo(buffer);
        return length;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (!_closed) send(buffer.ToArray());
    }

    public void Close()
    {
        _closed = true;
        _incoming.CompleteAdding();
    }
}
