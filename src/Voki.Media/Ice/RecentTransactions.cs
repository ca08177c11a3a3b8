using System.Net;

namespace Voki.Media.Ice;

/// <summary>
/// The transaction ids of one agent's last binding requests and where each came from (RFC 5389 §7.3.1: a retransmission
/// carries the same id). The same id again from the same address is a retransmission and answered again; from another
/// address it is a replay of a captured request, refused. Bounded: the oldest id is forgotten first.
/// </summary>
public sealed class RecentTransactions(int capacity = 16)
{
    private readonly (UInt128 Id, SocketAddress? From)[] _entries = new (UInt128, SocketAddress?)[capacity];
    private int _next;

    /// <summary>False when <paramref name="transactionId"/> was seen from another address; otherwise remembers it.</summary>
    public bool Admit(ReadOnlySpan<byte> transactionId, SocketAddress from)
    {
        Span<byte> id = stackalloc byte[16];
        transactionId[..12].CopyTo(id);
        var key = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(id);
        foreach (var (seen, address) in _entries)
            if (address is not null && seen == key) return address.Equals(from);
        var copy = new SocketAddress(from.Family, from.Size);
        from.Buffer.CopyTo(copy.Buffer);
        _entries[_next] = (key, copy);
        _next = (_next + 1) % _entries.Length;
        return true;
    }
}
