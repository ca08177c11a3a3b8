using System.Net;

namespace Voki.Media.Sfu;

/// <summary>Whether a handshake got a thread, or whose share was full.</summary>
public enum HandshakeAdmission { Started, NodeFull, CallFull, AddressFull }

/// <summary>
/// BouncyCastle's DTLS handshake blocks its thread from the first ClientHello to the last flight, idle
/// while it waits for the peer, so a fixed handful of threads is taken by a few peers that stop
/// half-way. Handshakes get threads on demand up to the node's limit, each call and each source
/// address at most its share; a refused client retransmits its ClientHello and is admitted later.
/// The handshake timeout (the server's) bounds how long any one holds its thread.
/// </summary>
public sealed class DtlsHandshakePool : IDisposable
{
    private static readonly TimeSpan IdleThreadLifetime = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private readonly Queue<Action> _work = new();
    private readonly Dictionary<string, int> _perCall = [];
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly int _maxInFlight, _maxPerCall, _maxPerAddress;
    private int _inFlight, _threads, _idle;
    private bool _disposed;

    public DtlsHandshakePool(int maxInFlight, int maxPerCall, int maxPerAddress)
    {
        _maxInFlight = Math.Max(1, maxInFlight);
        _maxPerCall = Math.Max(1, maxPerCall);
        _maxPerAddress = Math.Max(1, maxPerAddress);
    }

    /// <summary>Handshakes running now.</summary>
    public int InFlight { get { lock (_gate) return _inFlight; } }

    /// <summary>Runs <paramref name="handshake"/> on a thread of its own if the node, the call and the address have room.</summary>
    public HandshakeAdmission TryStart(string call, IPAddress address, Action handshake)
    {
        lock (_gate)
        {
            if (_disposed || _inFlight >= _maxInFlight) return HandshakeAdmission.NodeFull;
            if (_perAddress.GetValueOrDefault(address) >= _maxPerAddress) return HandshakeAdmission.AddressFull;
            if (_perCall.GetValueOrDefault(call) >= _maxPerCall) return HandshakeAdmission.CallFull;
            _inFlight++;
            _perAddress[address] = _perAddress.GetValueOrDefault(address) + 1;
            _perCall[call] = _perCall.GetValueOrDefault(call) + 1;
            _work.Enqueue(() =>
            {
                try { handshake(); }
                finally { Release(call, address); }
            });
            if (_idle > _work.Count - 1) Monitor.Pulse(_gate);
            else
            {
                _threads++;
                new Thread(Run) { IsBackground = true, Name = "dtls-handshake" }.Start();
            }
            return HandshakeAdmission.Started;
        }
    }

    private void Release(string call, IPAddress address)
    {
        lock (_gate)
        {
            _inFlight--;
            if (--_perAddress[address] == 0) _perAddress.Remove(address);
            if (--_perCall[call] == 0) _perCall.Remove(call);
        }
    }

    private void Run()
    {
        while (true)
        {
            Action handshake;
            lock (_gate)
            {
                while (_work.Count == 0)
                {
                    if (_disposed) { _threads--; return; }
                    _idle++;
                    var woken = Monitor.Wait(_gate, IdleThreadLifetime);
                    _idle--;
                    if (!woken && _work.Count == 0) { _threads--; return; }
                }
                handshake = _work.Dequeue();
            }
            try { handshake(); }
            catch { /* each handshake reports its own failure */ }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
    }
}
