using System.Net;
using System.Security.Cryptography;
using System.Text;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

public sealed class TurnApp : VokiApp
{
    protected override IDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["Turn:Urls:0"] = "turn:turn.example.test:3478?transport=udp",
        ["Turn:Urls:1"] = "turns:turn.example.test:5349",
        ["Turn:SharedSecret"] = "coturn-static-auth-secret",
        // Longer than a credential may live: the node caps it at an hour.
        ["Turn:Ttl"] = "12:00:00",
    };
}

/// <summary>TURN credentials: only for someone in a call (decisions.md "Widget tokens"), never longer than an hour.</summary>
public sealed class TurnTests(TurnApp app) : IClassFixture<TurnApp>
{
    [Fact]
    public async Task A_customer_in_a_call_gets_credentials_in_coturns_scheme_for_at_most_an_hour()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var joined = await s.Join(await s.Department());
        var callId = joined["call_id"]!.GetValue<string>();
        var response = await s.Anonymous.As(joined["websocket_token"]!.GetValue<string>(), null).Get("/api/v1/call/turn-credentials");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal(2, response.Data["urls"]!.AsArray().Count);
        Assert.Equal(3600, response.Data["ttl"]!.GetValue<int>());
        var username = response.Data["username"]!.GetValue<string>();
        var expiry = DateTimeOffset.FromUnixTimeSeconds(long.Parse(username.Split(':')[0]));
        Assert.InRange(expiry - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));
        Assert.Equal($"{s.Tenant}.{Guid.Parse(callId):N}", username.Split(':')[1]);
        // What coturn computes with use-auth-secret: base64(HMAC-SHA1(secret, username)).
        var expected = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes("coturn-static-auth-secret"), Encoding.UTF8.GetBytes(username)));
        Assert.Equal(expected, response.Data["credential"]!.GetValue<string>());
    }

    [Fact]
    public async Task Nobody_without_a_call_or_a_staff_token_gets_the_relay()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var anonymous = await s.Anonymous.Get("/api/v1/call/turn-credentials");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.Equal("Unauthorized", anonymous.Detail);
        var forged = await s.Anonymous.As("eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJ3c19jdXN0b21lciJ9.c2lnbmF0dXJl", null).Get("/api/v1/call/turn-credentials");
        Assert.Equal(HttpStatusCode.Unauthorized, forged.Status);
        // A staff token without its tenant header is no staff token.
        var wrongTenant = await s.Owner.As(s.Owner.Token, "not-" + s.Tenant).Get("/api/v1/call/turn-credentials");
        Assert.Equal(HttpStatusCode.Unauthorized, wrongTenant.Status);
    }

    [Fact]
    public async Task A_customer_whose_call_is_over_gets_none_and_staff_do()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var joined = await s.Join(await s.Department());
        var customer = s.Anonymous.As(joined["websocket_token"]!.GetValue<string>(), null);
        Assert.Equal(HttpStatusCode.OK, (await customer.Post($"/api/v1/call/leave/{joined["call_id"]}")).Status);
        var afterLeaving = await customer.Get("/api/v1/call/turn-credentials");
        Assert.Equal(HttpStatusCode.Forbidden, afterLeaving.Status);

        var (attendant, attendantId) = await s.Staff("attendant");
        var staff = await attendant.Get("/api/v1/call/turn-credentials");
        Assert.Equal(HttpStatusCode.OK, staff.Status);
        Assert.Equal($"{s.Tenant}.{attendantId}", staff.Data["username"]!.GetValue<string>().Split(':')[1]);
    }
}

/// <summary>
/// The shipped deploy/coturn.conf: a TURN credential must never become a way into the operator's own network
/// (loopback, private, link-local, ULA, reserved), never a TCP tunnel, and never unbounded.
/// </summary>
public sealed class CoturnConfigurationTests
{
    private static readonly string[] Lines = File.ReadAllLines(Path.Combine(NodeScripts.RepositoryRoot(), "deploy", "coturn.conf"))
        .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();

    private static IEnumerable<string> Values(string option) =>
        Lines.Where(l => l.StartsWith(option + "=", StringComparison.Ordinal)).Select(l => l[(option.Length + 1)..]);

    private static bool Denied(string address)
    {
        var ip = System.Net.IPAddress.Parse(address);
        return Values("denied-peer-ip").Any(range =>
        {
            var bounds = range.Split('-');
            var (low, high) = (System.Net.IPAddress.Parse(bounds[0]), System.Net.IPAddress.Parse(bounds.Length > 1 ? bounds[1] : bounds[0]));
            if (low.AddressFamily != ip.AddressFamily) return false;
            var value = new System.Numerics.BigInteger(ip.GetAddressBytes(), isUnsigned: true, isBigEndian: true);
            return value >= new System.Numerics.BigInteger(low.GetAddressBytes(), isUnsigned: true, isBigEndian: true)
                && value <= new System.Numerics.BigInteger(high.GetAddressBytes(), isUnsigned: true, isBigEndian: true);
        });
    }

    [Theory]
    [InlineData("127.0.0.1")] [InlineData("0.0.0.0")] [InlineData("10.1.2.3")] [InlineData("172.20.0.1")] [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")] [InlineData("100.100.100.200")] [InlineData("224.0.0.251")] [InlineData("255.255.255.255")]
    [InlineData("::1")] [InlineData("::ffff:127.0.0.1")] [InlineData("::ffff:10.0.0.1")] [InlineData("fd00:ec2::254")]
    [InlineData("fc12::1")] [InlineData("fe80::1")] [InlineData("64:ff9b::a00:1")] [InlineData("ff02::1")]
    // Not "::": coturn 4.6.1 matches a denied-peer-ip of the unspecified IPv6 address against every IPv4 peer
    // (CoturnTests found it: the shipped file then refused 8.8.8.8), so the file cannot list it.
    public void Relaying_to_a_non_public_address_is_denied(string address) => Assert.True(Denied(address), $"{address} is not denied");

    [Theory]
    [InlineData("8.8.8.8")] [InlineData("203.0.114.1")] [InlineData("172.32.0.1")] [InlineData("2001:4860:4860::8888")] [InlineData("2a00:1450::1")]
    public void Public_addresses_stay_reachable(string address) => Assert.False(Denied(address), $"{address} is denied");

    [Fact]
    public void There_is_no_tcp_relay_and_every_quota_is_set()
    {
        Assert.Contains("no-tcp-relay", Lines);
        Assert.Contains("use-auth-secret", Lines);
        Assert.Contains("no-multicast-peers", Lines);
        foreach (var quota in new[] { "user-quota", "total-quota", "max-bps", "bps-capacity" })
            Assert.True(Values(quota).Select(long.Parse).SingleOrDefault() > 0, $"{quota} is not set");
        Assert.DoesNotContain(Lines, l => l.StartsWith("allowed-peer-ip", StringComparison.Ordinal));
    }
}
