using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Voki.Media.Sfu;

/// <summary>
/// Which peer each source address is: the committed path of every participant (where its DTLS, SRTP and our replies
/// go), and the candidate paths that passed its STUN check but carried no authenticated media yet (<see cref="CandidatePaths"/>).
/// </summary>
internal sealed class PeerPaths(MediaCounters counters)
{
    private readonly ConcurrentDictionary<SocketAddress, PeerConnection> _byAddress = new();
    private readonly ConcurrentDictionary<SocketAddress, PeerConnection> _byCandidate = new();

    public bool TryGet(SocketAddress from, out PeerConnection peer) => _byAddress.TryGetValue(from, out peer!);

    public bool IsCandidate(SocketAddress from) => _byCandidate.ContainsKey(from);

    public bool TryGetCandidate(SocketAddress from, out PeerConnection peer) => _byCandidate.TryGetValue(from, out peer!);

    /// <summary>The peer's path from now on (a copy of <paramref name="from"/>, which the receive loop reuses).</summary>
    public void Commit(PeerConnection peer, SocketAddress from, IPEndPoint endpoint)
    {
        var address = new SocketAddress(from.Family, from.Size);
        from.Buffer.CopyTo(address.Buffer);
        if (peer.Address is { } old) _byAddress.TryRemove(new KeyValuePair<SocketAddress, PeerConnection>(old, peer));
        peer.Address = address;
        peer.RemoteEndPoint = endpoint;
        _byAddress[address] = peer;
    }

    /// <summary>An authenticated check from elsewhere makes a candidate path only: see <see cref="CandidatePaths"/>.</summary>
    public void AddCandidate(PeerConnection peer, SocketAddress from, IPEndPoint endpoint)
    {
        SocketAddress? evicted, added;
        lock (peer.Candidates)
        {
            if (peer.State == PeerState.Closed) return;
            evicted = peer.Candidates.Add(from, endpoint, out added);
        }
        if (evicted is not null) _byCandidate.TryRemove(new KeyValuePair<SocketAddress, PeerConnection>(evicted, peer));
        if (_byCandidate.TryAdd(added, peer)) Interlocked.Increment(ref counters.CandidatePaths);
    }

    /// <summary>The candidate path <paramref name="from"/> becomes the peer's path: its authenticated media came from there. False when it is no longer a candidate.</summary>
    public bool Move(PeerConnection peer, SocketAddress from)
    {
        (SocketAddress Address, IPEndPoint EndPoint) candidate;
        lock (peer.Candidates)
        {
            if (peer.State == PeerState.Closed || !peer.Candidates.TryTake(from, out candidate)) return false;
        }
        _byCandidate.TryRemove(new KeyValuePair<SocketAddress, PeerConnection>(candidate.Address, peer));
        Commit(peer, candidate.Address, candidate.EndPoint);
        peer.LastConsent = DateTime.UtcNow;
        Interlocked.Increment(ref counters.PathChanges);
        return true;
    }

    /// <summary>Every address of a peer that left.</summary>
    public void Forget(PeerConnection peer)
    {
        if (peer.Address is { } address) _byAddress.TryRemove(new KeyValuePair<SocketAddress, PeerConnection>(address, peer));
        List<SocketAddress> candidates;
        lock (peer.Candidates) candidates = peer.Candidates.Clear();
        foreach (var candidate in candidates) _byCandidate.TryRemove(new KeyValuePair<SocketAddress, PeerConnection>(candidate, peer));
    }
}
