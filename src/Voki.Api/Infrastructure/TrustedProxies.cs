using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Voki.Api.Infrastructure;

/// <summary>
/// Configuration section "ForwardedHeaders": the load balancers whose X-Forwarded-For/-Proto/-Host a node believes.
/// Nothing else's: a client that sends the headers itself would otherwise pick the address its rate limits count and the
/// scheme of the URLs it is given. With none configured the headers are ignored.
/// </summary>
public sealed class TrustedProxies
{
    /// <summary>Addresses of the proxies, e.g. "10.0.0.5" or "2001:db8::5".</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks the proxies are in, in CIDR notation, e.g. "10.0.0.0/24".</summary>
    public string[] KnownNetworks { get; set; } = [];

    /// <summary>How many proxies deep the chain is: the client is that many entries from the right of X-Forwarded-For.</summary>
    public int ForwardLimit { get; set; } = 1;

    public bool Any => KnownProxies.Length > 0 || KnownNetworks.Length > 0;

    public IEnumerable<string> Refusals()
    {
        foreach (var proxy in KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
            yield return $"ForwardedHeaders:KnownProxies \"{proxy}\" is not an IP address.";
        foreach (var network in KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
            yield return $"ForwardedHeaders:KnownNetworks \"{network}\" is not a network in CIDR notation (e.g. 10.0.0.0/24).";
        if (ForwardLimit < 1) yield return "ForwardedHeaders:ForwardLimit must be at least 1.";
    }

    public ForwardedHeadersOptions Options()
    {
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost,
            ForwardLimit = ForwardLimit,
        };
        // ASP.NET Core trusts loopback by default; here only what the operator named.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in KnownProxies) options.KnownProxies.Add(IPAddress.Parse(proxy));
        foreach (var network in KnownNetworks) options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        return options;
    }

    public static TrustedProxies From(IConfiguration configuration) =>
        configuration.GetSection("ForwardedHeaders").Get<TrustedProxies>() ?? new TrustedProxies();
}
