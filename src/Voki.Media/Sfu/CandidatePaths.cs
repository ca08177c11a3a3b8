using System.Net;

namespace Voki.Media.Sfu;

/// <summary>
/// Source addresses other than a connected participant's current path that passed an authenticated STUN check
/// (RFC 8445 §7.3): candidates only. Media keeps going to the current path until authenticated SRTP or SRTCP comes
/// from one of them, which proves the keys' holder moved there (a NAT rebinding, a new interface), where a STUN check
/// alone proves only that someone knew or replayed the ICE credentials. The few newest are kept.
/// </summary>
public sealed class CandidatePaths(int capacity = 4)
{
    private readonly List<(SocketAddress Address, IPEndPoint EndPoint)> _candidates = [];

    public int Count => _candidates.Count;

    /// <summary>Adds <paramref name="address"/> (copied) unless known; returns the candidate it evicted to stay within bounds.</summary>
    public SocketAddress? Add(SocketAddress address, IPEndPoint endPoint, out SocketAddress added)
    {
        var known = _candidates.FindIndex(c => c.Address.Equals(address));
        if (known >= 0)
        {
            added = _candidates[known].Address;
            return null;
        }
        added = new SocketAddress(address.Family, address.Size);
        address.Buffer.CopyTo(added.Buffer);
        _candidates.Add((added, endPoint));
        if (_candidates.Count <= capacity) return null;
        var evicted = _candidates[0].Address;
        _candidates.RemoveAt(0);
        return evicted;
    }

    /// <summary>Takes the candidate at <paramref name="address"/> out, to become the path.</summary>
    public bool TryTake(SocketAddress address, out (SocketAddress Address, IPEndPoint EndPoint) candidate)
    {
        var index = _candidates.FindIndex(c => c.Address.Equals(address));
        candidate = index >= 0 ? _candidates[index] : default;
        if (index < 0) return false;
        _candidates.RemoveAt(index);
        return true;
    }

    /// <summary>Every candidate's address, and forgets them (the participant left).</summary>
    public List<SocketAddress> Clear()
    {
        var all = _candidates.Select(c => c.Address).ToList();
        _candidates.Clear();
        return all;
    }
}
