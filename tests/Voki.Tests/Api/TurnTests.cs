using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Api;

public sealed class TurnApp : VokiApp
{
    protected override IDictionary<string, string> Settings => new Dictionary<string, string>(base.Settings)
    {
        ["Turn:Urls:0"] = "turn:turn.example.test:3478?transport=udp",
        ["Turn:Urls:1"] = "turns:turn.example.test:5349",
        ["Turn:SharedSecret"] = "coturn-static-auth-secret",
        ["Turn:Ttl"] = "01:00:00",
    };
}

public sealed class TurnTests(TurnApp app) : IClassFixture<TurnApp>
{
    [Fact]
    public async Task Credentials_follow_coturns_shared_secret_scheme_and_expire()
    {
        var response = await new ApiClient(app.CreateClient()).Get("/api/v1/call/turn-credentials");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal(2, response.Data["urls"]!.AsArray().Count);
        Assert.Equal(3600, response.Data["ttl"]!.GetValue<int>());
        var username = response.Data["username"]!.GetValue<string>();
        var expiry = DateTimeOffset.FromUnixTimeSeconds(long.Parse(username.Split(':')[0]));
        Assert.InRange(expiry - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));
        // What coturn computes with use-auth-secret: base64(HMAC-SHA1(secret, username)).
        var expected = Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes("coturn-static-auth-secret"), Encoding.UTF8.GetBytes(username)));
        Assert.Equal(expected, response.Data["credential"]!.GetValue<string>());
    }
}
