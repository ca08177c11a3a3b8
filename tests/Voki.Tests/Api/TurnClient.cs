using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Voki.Tests.Api;

/// <summary>
/// Just enough of a TURN client (RFC 8656) to ask a real server what a credential may do: Allocate and CreatePermission
/// with the long-term credential mechanism (RFC 8489 §9.2: a 401 names realm and nonce, the retry carries
/// MESSAGE-INTEGRITY keyed with MD5(username:realm:password)). One UDP socket is one allocation's 5-tuple.
/// </summary>
public sealed class TurnClient(IPEndPoint server) : IDisposable
{
    private const uint MagicCookie = 0x2112A442;
    private const ushort Allocate = 0x0003, CreatePermission = 0x0008;
    private const ushort Username = 0x0006, MessageIntegrity = 0x0008, ErrorCode = 0x0009, XorPeerAddress = 0x0012,
        Realm = 0x0014, Nonce = 0x0015, RequestedTransport = 0x0019;
    public const byte Udp = 17, Tcp = 6;

    private readonly UdpClient _socket = new(new IPEndPoint(IPAddress.Loopback, 0));
    private string? _realm, _nonce;

    /// <summary>0 for success, else the STUN error code (401, 403, 442, 486, …).</summary>
    public Task<int> AllocateAsync(string username, string password, byte transport = Udp) =>
        AuthenticatedAsync(Allocate, username, password, [(RequestedTransport, [transport, 0, 0, 0])]);

    public Task<int> PermitAsync(string username, string password, IPAddress peer) =>
        AuthenticatedAsync(CreatePermission, username, password, [(XorPeerAddress, XorAddress(peer, 9))]);

    private async Task<int> AuthenticatedAsync(ushort method, string username, string password, (ushort Type, byte[] Value)[] attributes)
    {
        if (_nonce is null)
        {
            var (code, realm, nonce) = await SendAsync(Build(method, attributes, null));
            if (code != 401 || realm is null || nonce is null) return code;
            (_realm, _nonce) = (realm, nonce);
        }
        var key = MD5.HashData(Encoding.UTF8.GetBytes($"{username}:{_realm}:{password}"));
        var signed = attributes.Concat([(Username, Encoding.UTF8.GetBytes(username)), (Realm, Encoding.UTF8.GetBytes(_realm!)),
            (Nonce, Encoding.UTF8.GetBytes(_nonce!))]).ToArray();
        var (result, _, _) = await SendAsync(Build(method, signed, key));
        // 438 Stale Nonce: the reply carried a fresh one; once more with it.
        if (result == 438) (result, _, _) = await SendAsync(Build(method, Resigned(signed), key));
        return result;
    }

    private (ushort Type, byte[] Value)[] Resigned((ushort Type, byte[] Value)[] attributes) =>
        attributes.Select(a => a.Type == Nonce ? (Nonce, Encoding.UTF8.GetBytes(_nonce!)) : a).ToArray();

    private static byte[] Build(ushort method, (ushort Type, byte[] Value)[] attributes, byte[]? integrityKey)
    {
        var body = new List<byte>();
        foreach (var (type, value) in attributes)
        {
            body.AddRange(U16(type)); body.AddRange(U16((ushort)value.Length)); body.AddRange(value);
            while (body.Count % 4 != 0) body.Add(0);
        }
        var header = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(header, method);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), MagicCookie);
        RandomNumberGenerator.Fill(header.AsSpan(8, 12));
        if (integrityKey is null)
        {
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)body.Count);
            return [.. header, .. body];
        }
        // The length covers MESSAGE-INTEGRITY itself (RFC 8489 §14.5), the HMAC everything before it.
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)(body.Count + 24));
        byte[] signedPart = [.. header, .. body];
        var mac = HMACSHA1.HashData(integrityKey, signedPart);
        return [.. signedPart, .. U16(MessageIntegrity), .. U16(20), .. mac];
    }

    private async Task<(int Code, string? Realm, string? Nonce)> SendAsync(byte[] request)
    {
        await _socket.SendAsync(request, server);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (true)
        {
            var reply = (await _socket.ReceiveAsync(timeout.Token)).Buffer;
            if (reply.Length < 20 || !reply.AsSpan(8, 12).SequenceEqual(request.AsSpan(8, 12))) continue;
            var success = (BinaryPrimitives.ReadUInt16BigEndian(reply) & 0x0110) == 0x0100;
            int code = 0; string? realm = null, nonce = null;
            for (var at = 20; at + 4 <= reply.Length;)
            {
                var type = BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(at));
                var length = BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(at + 2));
                var value = reply.AsSpan(at + 4, Math.Min(length, reply.Length - at - 4));
                if (type == ErrorCode && value.Length >= 4) code = (value[2] & 0x7) * 100 + value[3];
                else if (type == Realm) realm = Encoding.UTF8.GetString(value);
                else if (type == Nonce) nonce = Encoding.UTF8.GetString(value);
                at += 4 + (length + 3) / 4 * 4;
            }
            if (nonce is not null) _nonce = nonce;
            return (success ? 0 : code, realm, nonce);
        }
    }

    /// <summary>XOR-PEER-ADDRESS of an IPv4 peer (RFC 8489 §14.2).</summary>
    private static byte[] XorAddress(IPAddress address, ushort port)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException("IPv4 peers only", nameof(address));
        var bytes = address.GetAddressBytes();
        var cookie = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(cookie, MagicCookie);
        for (var i = 0; i < 4; i++) bytes[i] ^= cookie[i];
        return [0, 1, .. U16((ushort)(port ^ (MagicCookie >> 16))), .. bytes];
    }

    private static byte[] U16(ushort value) => [(byte)(value >> 8), (byte)value];

    public void Dispose() => _socket.Dispose();
}
