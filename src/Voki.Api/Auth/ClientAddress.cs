using System.Net;
using System.Net.Sockets;

namespace Voki.Api.Auth;

/// <summary>The unit a rate limit counts: an IPv4 address, or an IPv6 client's /64 (RFC 4291 §2.5.4 interface id).</summary>
public static class ClientAddress
{
    public static string Partition(IPAddress? address)
    {
        if (address is null) return "unknown";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
