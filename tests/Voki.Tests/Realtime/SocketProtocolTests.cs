using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Voki.Tests.Infrastructure;

namespace Voki.Tests.Realtime;

/// <summary>The Phoenix Channels wire protocol on /socket/websocket: connect, heartbeat, join, leave, both serializers.</summary>
[Collection(ApiCollection.Name)]
public sealed class SocketProtocolTests(VokiApp app)
{
    [Theory]
    [InlineData(null)]
    [InlineData("not-a-jwt")]
    [InlineData("expired")]
    [InlineData("wrong-key")]
    public async Task A_connect_without_a_valid_token_is_refused_with_403(string? token)
    {
        token = token switch
        {
            "expired" => Jwt(DateTime.UtcNow.AddHours(-1), "test-signing-key-0123456789-0123456789-0123456789"),
            "wrong-key" => Jwt(DateTime.UtcNow.AddHours(1), "another-signing-key-0123456789-0123456789-012345"),
            _ => token,
        };
        var refused = await Assert.ThrowsAnyAsync<Exception>(() =>
            app.Server.CreateWebSocketClient().ConnectAsync(PhoenixTestClient.SocketUri(token), CancellationToken.None));
        Assert.Contains("403", refused.Message);
    }

    [Fact]
    public async Task A_refresh_token_cannot_open_a_socket()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var refused = await Assert.ThrowsAnyAsync<Exception>(() =>
            app.Server.CreateWebSocketClient().ConnectAsync(PhoenixTestClient.SocketUri(s.RefreshToken), CancellationToken.None));
        Assert.Contains("403", refused.Message);
    }

    [Fact]
    public async Task Heartbeat_join_and_leave_are_answered_with_phx_reply()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        await using var socket = await PhoenixTestClient.Connect(app, s.Owner.Token!);

        var heartbeat = await socket.Heartbeat();
        Assert.Null(heartbeat.JoinRef);
        Assert.Equal("ok", heartbeat.Status);
        Assert.Empty(heartbeat.Response.AsObject());

        var topic = $"notification:{s.OwnerId}";
        var joined = await socket.Join(topic);
        Assert.Equal("ok", joined.Status);
        Assert.Equal(joined.Ref, joined.JoinRef);

        var left = await socket.Leave(topic);
        Assert.Equal("ok", left.Status);
        var closed = await socket.Next(topic, "phx_close");
        Assert.Equal(joined.JoinRef, closed.JoinRef);

        var unmatched = await socket.Join("lobby:everyone");
        Assert.Equal("error", unmatched.Status);
        Assert.Equal("unmatched topic", unmatched.Reason);

        var notJoined = await socket.Push($"notification:{s.OwnerId}", "anything", new { });
        Assert.Equal("error", notJoined.Status);
        Assert.Equal("unmatched topic", notJoined.Reason);

        Assert.Equal("ok", (await socket.Heartbeat()).Status);
    }

    [Fact]
    public async Task Joining_a_topic_twice_closes_the_first_join()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        await using var socket = await PhoenixTestClient.Connect(app, s.Owner.Token!);
        var topic = $"notification:{s.OwnerId}";
        var first = await socket.Join(topic);
        var second = await socket.Join(topic);
        Assert.Equal("ok", second.Status);
        var closed = await socket.Next(topic, "phx_close");
        Assert.Equal(first.JoinRef, closed.JoinRef);
    }

    [Fact]
    public async Task Version_1_clients_get_object_frames()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        using var ws = await app.Server.CreateWebSocketClient().ConnectAsync(PhoenixTestClient.SocketUri(s.Owner.Token, "1.0.0"), CancellationToken.None);
        await ws.SendAsync(Encoding.UTF8.GetBytes("""{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"7"}"""),
            WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[4096];
        var received = await ws.ReceiveAsync(buffer, new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        var reply = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, received.Count))!;
        Assert.Equal("phoenix", reply["topic"]!.GetValue<string>());
        Assert.Equal("phx_reply", reply["event"]!.GetValue<string>());
        Assert.Equal("7", reply["ref"]!.GetValue<string>());
        Assert.Equal("ok", reply["payload"]!["status"]!.GetValue<string>());
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task A_plain_http_request_to_the_socket_is_a_400()
    {
        var response = await app.CreateClient().GetAsync("/socket/websocket?vsn=2.0.0");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
    }

    private static string Jwt(DateTime expires, string key) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Claims = new Dictionary<string, object>
        {
            ["sub"] = Guid.NewGuid().ToString(), ["tenant"] = "nobody", ["role"] = "owner", ["typ"] = "access",
            ["iss"] = "voki", ["iat"] = new DateTimeOffset(expires.AddHours(-1)).ToUnixTimeSeconds(),
            ["exp"] = new DateTimeOffset(expires).ToUnixTimeSeconds(),
        },
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
    });
}
