namespace Voki.Media.Srtp;

/// <summary>The sliding replay window of RFC 3711 §3.3.2: 64 packets behind the highest index seen.</summary>
public struct ReplayWindow
{
    private const int Size = 64;
    private long _highest;
    private ulong _bitmap;
    private bool _started;

    /// <summary>True when the index is new; a duplicate or a packet too far behind is refused.</summary>
    public readonly bool IsNew(long index)
    {
        if (!_started || index > _highest) return true;
        var behind = _highest - index;
        return behind < Size && (_bitmap & (1UL << (int)behind)) == 0;
    }

    /// <summary>Records an index after its packet authenticated.</summary>
    public void Accept(long index)
    {
        if (!_started)
        {
            _started = true;
            _highest = index;
            _bitmap = 1;
            return;
        }
        if (index > _highest)
        {
            var shift = index - _highest;
            _bitmap = shift >= Size ? 1 : (_bitmap << (int)shift) | 1;
            _highest = index;
        }
        else _bitmap |= 1UL << (int)(_highest - index);
    }
}
