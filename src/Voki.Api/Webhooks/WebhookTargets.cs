using System.Net;
using System.Net.Sockets;

namespace Voki.Api.Webhooks;

/// <summary>Resolves a webhook's host name; a test replaces it to play a DNS that changes its answer.</summary>
public class WebhookAddressResolver
{
    public virtual Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellation) => Dns.GetHostAddressesAsync(host, cancellation);
}

/// <summary>
/// Where webhooks may point (SSRF): public unicast addresses only, unless Webhooks:AllowPrivateTargets. Checked when a
/// webhook is saved, and again on every connection, on the addresses the name resolves to right then.
/// </summary>
public sealed class WebhookTargets(WebhookOptions options, WebhookAddressResolver resolver)
{
    private static readonly IPNetwork[] NonPublic = new[]
    {
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
        "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "ff00::/8",
    }.Select(IPNetwork.Parse).ToArray();

    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return !NonPublic.Any(n => n.Contains(address));
    }

    /// <summary>Why the URL cannot be a webhook's, or null: absolute http(s), no credentials, a public host.</summary>
    public async Task<string?> RefusalAsync(string url, CancellationToken cancellation)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
            return "must be an absolute http or https URL";
        if (uri.UserInfo.Length > 0) return "must not contain credentials";
        if (uri.IsDefaultPort is false && uri.Port is < 1 or > 65535) return "is invalid";
        if (options.AllowPrivateTargets) return null;
        IPAddress[] addresses;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            addresses = IPAddress.TryParse(uri.DnsSafeHost, out var literal) ? [literal] : await resolver.ResolveAsync(uri.DnsSafeHost, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ArgumentException)
        {
            return "has a host that could not be resolved";
        }
        if (addresses.Length == 0) return "has a host that could not be resolved";
        return addresses.All(IsPublic) ? null : "must not point to a loopback, private or otherwise non-public address";
    }

    /// <summary>
    /// The dispatcher's connection: resolves the host now and connects only to a public address of it, so a name that
    /// pointed outward when the webhook was saved cannot be turned inward later.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellation)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await resolver.ResolveAsync(host, cancellation);
        var allowed = options.AllowPrivateTargets ? addresses : addresses.Where(IsPublic).ToArray();
        if (allowed.Length == 0)
            throw new WebhookTargetRefusedException(addresses.Length == 0
                ? $"{host} did not resolve"
                : $"refused: {host} resolves to a non-public address ({string.Join(", ", addresses.Select(a => a.ToString()))})");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellation);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

public sealed class WebhookTargetRefusedException(string message) : Exception(message);
