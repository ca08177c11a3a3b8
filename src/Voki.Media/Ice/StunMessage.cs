using System.Buffers.Binary;
using System.IO.Hashing;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Voki.Media.Ice;

/// <summary>STUN message codec (RFC 5389 §6, §15): the subset ICE-lite needs.</summary>
public sealed class StunMessage
{
    public const uint MagicCookie = 0x2112A442;
    public const int HeaderLength = 20;
    private const uint FingerprintXor = 0x5354554E;

    public StunMessageType Type { get; init; }
    public byte[] TransactionId { get; init; } = new byte[12];
    public string? Username { get; init; }
    public uint? Priority { get; init; }
    public bool UseCandidate { get; init; }
    public ulong? IceControlling { get; init; }
    public ulong? IceControlled { get; init; }
    public bool HasIntegrity { get; init; }
    public bool HasFingerprint { get; init; }

    /// <summary>Offset of MESSAGE-INTEGRITY in the parsed datagram, to check it against a password later.</summary>
    private int _integrityOffset = -1;
    private byte[]? _raw;

    /// <summary>True for the first byte range RFC 7983 gives STUN, with the magic cookie in place.</summary>
    public static bool IsStun(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= HeaderLength && datagram[0] < 4 && BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) == MagicCookie;

    /// <summary>Parses a datagram; null when it is not a well-formed STUN message (or its FINGERPRINT is wrong).</summary>
    public static StunMessage? TryParse(ReadOnlySpan<byte> datagram)
    {
        if (!IsStun(datagram)) return null;
        var length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if (length % 4 != 0 || HeaderLength + length != datagram.Length) return null;
        string? username = null;
        uint? priority = null;
        ulong? controlling = null, controlled = null;
        bool useCandidate = false, fingerprint = false;
        var integrityOffset = -1;
        var offset = HeaderLength;
        while (offset + 4 <= datagram.Length)
        {
            var type = (StunAttributeType)BinaryPrimitives.ReadUInt16BigEndian(datagram[offset..]);
            var valueLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 2)..]);
            var valueStart = offset + 4;
            if (valueStart + valueLength > datagram.Length) return null;
            var value = datagram.Slice(valueStart, valueLength);
            if (fingerprint) return null; // nothing may follow FINGERPRINT
            // RFC 5389 §15.4: what follows MESSAGE-INTEGRITY is not covered by it and is ignored, FINGERPRINT excepted.
            if (integrityOffset >= 0 && type != StunAttributeType.Fingerprint) { offset = valueStart + ((valueLength + 3) & ~3); continue; }
            switch (type)
            {
                case StunAttributeType.Username: username = Encoding.UTF8.GetString(value); break;
                case StunAttributeType.Priority when valueLength == 4: priority = BinaryPrimitives.ReadUInt32BigEndian(value); break;
                case StunAttributeType.UseCandidate: useCandidate = true; break;
                case StunAttributeType.IceControlling when valueLength == 8: controlling = BinaryPrimitives.ReadUInt64BigEndian(value); break;
                case StunAttributeType.IceControlled when valueLength == 8: controlled = BinaryPrimitives.ReadUInt64BigEndian(value); break;
                case StunAttributeType.MessageIntegrity when valueLength == 20: integrityOffset = offset; break;
                case StunAttributeType.Fingerprint when valueLength == 4:
                    if (BinaryPrimitives.ReadUInt32BigEndian(value) != Crc(datagram[..offset])) return null;
                    fingerprint = true;
                    break;
            }
            offset = valueStart + ((valueLength + 3) & ~3);
        }
        if (offset != datagram.Length) return null;
        return new StunMessage
        {
            Type = (StunMessageType)BinaryPrimitives.ReadUInt16BigEndian(datagram),
            TransactionId = datagram.Slice(8, 12).ToArray(),
            Username = username,
            Priority = priority,
            UseCandidate = useCandidate,
            IceControlling = controlling,
            IceControlled = controlled,
            HasIntegrity = integrityOffset >= 0,
            HasFingerprint = fingerprint,
            _integrityOffset = integrityOffset,
            _raw = datagram.ToArray(),
        };
    }

    /// <summary>Checks MESSAGE-INTEGRITY (RFC 5389 §15.4) with the short-term credential <paramref name="password"/>.</summary>
    public bool VerifyIntegrity(string password)
    {
        if (_raw is null || _integrityOffset < 0) return false;
        var covered = _raw.AsSpan(0, _integrityOffset).ToArray();
        // The length field counts up to and including MESSAGE-INTEGRITY, not what follows it.
        BinaryPrimitives.WriteUInt16BigEndian(covered.AsSpan(2), (ushort)(_integrityOffset + 24 - HeaderLength));
        var expected = HMACSHA1.HashData(Encoding.UTF8.GetBytes(password), covered);
        return CryptographicOperations.FixedTimeEquals(expected, _raw.AsSpan(_integrityOffset + 4, 20));
    }

    /// <summary>A Binding success response carrying XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and FINGERPRINT.</summary>
    public static byte[] BindingSuccess(ReadOnlySpan<byte> transactionId, IPEndPoint mapped, string password)
    {
        var address = mapped.Address.IsIPv4MappedToIPv6 ? mapped.Address.MapToIPv4() : mapped.Address;
        var addressBytes = address.GetAddressBytes();
        var xorLength = 4 + addressBytes.Length;
        var length = HeaderLength + 4 + xorLength + 24 + 8;
        var message = new byte[length];
        var span = message.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)StunMessageType.BindingSuccess);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], MagicCookie);
        transactionId.CopyTo(span[8..]);

        var offset = HeaderLength;
        BinaryPrimitives.WriteUInt16BigEndian(span[offset..], (ushort)StunAttributeType.XorMappedAddress);
        BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 2)..], (ushort)xorLength);
        span[offset + 5] = (byte)(addressBytes.Length == 4 ? 0x01 : 0x02);
        BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 6)..], (ushort)(mapped.Port ^ (MagicCookie >> 16)));
        for (var i = 0; i < addressBytes.Length; i++)
            span[offset + 8 + i] = (byte)(addressBytes[i] ^ span[4 + i]); // cookie, then transaction id, as the XOR key
        offset += 4 + xorLength;

        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)(offset + 24 - HeaderLength));
        var hmac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(password), span[..offset]);
        BinaryPrimitives.WriteUInt16BigEndian(span[offset..], (ushort)StunAttributeType.MessageIntegrity);
        BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 2)..], 20);
        hmac.CopyTo(span[(offset + 4)..]);
        offset += 24;

        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)(offset + 8 - HeaderLength));
        var crc = Crc(span[..offset]);
        BinaryPrimitives.WriteUInt16BigEndian(span[offset..], (ushort)StunAttributeType.Fingerprint);
        BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 2)..], 4);
        BinaryPrimitives.WriteUInt32BigEndian(span[(offset + 4)..], crc);
        return message;
    }

    /// <summary>A Binding request as a controlling ICE agent sends it (RFC 8445 §7.1.1), for our client-mode peer.</summary>
    public static byte[] BindingRequest(ReadOnlySpan<byte> transactionId, string username, string password, uint priority, ulong tieBreaker, bool useCandidate)
    {
        var user = Encoding.UTF8.GetBytes(username);
        var userPadded = (user.Length + 3) & ~3;
        var length = HeaderLength + 4 + userPadded + 8 + 12 + (useCandidate ? 4 : 0) + 24 + 8;
        var message = new byte[length];
        var span = message.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)StunMessageType.BindingRequest);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], MagicCookie);
        transactionId.CopyTo(span[8..]);
        var offset = HeaderLength;
        void Attribute(StunAttributeType type, ReadOnlySpan<byte> value, int padded, Span<byte> target)
        {
            BinaryPrimitives.WriteUInt16BigEndian(target[offset..], (ushort)type);
            BinaryPrimitives.WriteUInt16BigEndian(target[(offset + 2)..], (ushort)value.Length);
            value.CopyTo(target[(offset + 4)..]);
            offset += 4 + padded;
        }
        Attribute(StunAttributeType.Username, user, userPadded, span);
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(number, priority);
        Attribute(StunAttributeType.Priority, number[..4], 4, span);
        BinaryPrimitives.WriteUInt64BigEndian(number, tieBreaker);
        Attribute(StunAttributeType.IceControlling, number, 8, span);
        if (useCandidate) Attribute(StunAttributeType.UseCandidate, [], 0, span);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)(offset + 24 - HeaderLength));
        var hmac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(password), span[..offset]);
        Attribute(StunAttributeType.MessageIntegrity, hmac, 20, span);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)(offset + 8 - HeaderLength));
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc(span[..offset]));
        Attribute(StunAttributeType.Fingerprint, crc, 4, span);
        return message;
    }

    private static uint Crc(ReadOnlySpan<byte> data) => Crc32.HashToUInt32(data) ^ FingerprintXor;
}
