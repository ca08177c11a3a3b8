using System.Net;
using Voki.Tests.Infrastructure;
using Voki.Tests.Realtime;

namespace Voki.Tests.Api;

/// <summary>
/// A user's sessions follow the user as saved now: deactivation, a role change or a password change ends every one of
/// them at once (access tokens, refresh families, open sockets on every node); other edits end none.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class SessionsFollowTheUserTests(VokiApp app)
{
    public static TheoryData<string, string> Changes => new()
    {
        { "deactivation", """{"active": false}""" },
        { "role change", """{"role": "attendant"}""" },
        { "password change", """{"password": "a-new-password-42"}""" },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task A_change_that_ends_sessions_refuses_the_old_tokens_at_once(string change, string body)
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var user = await s.SignIn("supervisor");
        var otherDevice = await s.Anonymous.Post("/api/auth/login", new { email = user.Email, password = Scenario.Password, tenant = s.Tenant });
        Assert.Equal(HttpStatusCode.OK, (await user.Client.Get("/api/v1/calls")).Status);

        var updated = await s.Owner.Send(HttpMethod.Put, $"/api/v1/users/{user.Id}", null, body);
        Assert.Equal(HttpStatusCode.OK, updated.Status);

        var stale = await user.Client.Get("/api/v1/users/me");
        Assert.True(stale.Status == HttpStatusCode.Unauthorized, $"after a {change} the old access token still answers {stale.Status}");
        Assert.Equal("Unauthorized", stale.Detail);
        foreach (var refresh in new[] { user.RefreshToken, otherDevice.Data["refresh_token"]!.GetValue<string>() })
            Assert.Equal(HttpStatusCode.Unauthorized, (await s.Anonymous.Post("/api/auth/refresh", new { refresh_token = refresh })).Status);

        var password = change == "password change" ? "a-new-password-42" : Scenario.Password;
        var again = await s.Anonymous.Post("/api/auth/login", new { email = user.Email, password, tenant = s.Tenant });
        if (change == "deactivation")
        {
            Assert.Equal(HttpStatusCode.Unauthorized, again.Status);
            return;
        }
        Assert.Equal(HttpStatusCode.OK, again.Status);
        var fresh = s.Anonymous.As(again.Data["access_token"]!.GetValue<string>(), s.Tenant);
        var me = await fresh.Get("/api/v1/users/me");
        Assert.Equal(HttpStatusCode.OK, me.Status);
        Assert.Equal(change == "role change" ? "attendant" : "supervisor", me.Data["role"]!.GetValue<string>());
    }

    [Fact]
    public async Task Other_edits_and_other_users_keep_their_sessions()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var user = await s.SignIn("supervisor");
        var colleague = await s.SignIn("supervisor");
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put($"/api/v1/users/{user.Id}", new { name = "Renamed", locale = "en-US" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await user.Client.Get("/api/v1/users/me")).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put($"/api/v1/users/{user.Id}", new { active = false })).Status);
        Assert.Equal(HttpStatusCode.OK, (await colleague.Client.Get("/api/v1/users/me")).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.Anonymous.Post("/api/auth/refresh", new { refresh_token = colleague.RefreshToken })).Status);
    }

    [Fact]
    public async Task A_deactivated_supervisors_open_socket_closes_and_cannot_come_back()
    {
        var s = await Scenario.SignUp(app.CreateClient());
        var department = await s.Department();
        var (attendant, _) = await s.Staff("attendant", department);
        var customer = await s.Customer(department);
        await attendant.Post($"/api/v1/calls/{customer.CallId}/assign", new { });
        await attendant.Post($"/api/v1/calls/{customer.CallId}/start");
        var supervisor = await s.SignIn("supervisor");
        var socket = await PhoenixTestClient.Connect(app, supervisor.Client.Token!);
        Assert.Equal("ok", (await socket.Join($"call:{customer.CallId}")).Status);
        await using var attendantSocket = await PhoenixTestClient.Connect(app, attendant.Token!);

        Assert.Equal(HttpStatusCode.OK, (await s.Owner.Put($"/api/v1/users/{supervisor.Id}", new { active = false })).Status);

        Assert.True(await socket.Closed(PhoenixTestClient.DefaultWait), "the deactivated supervisor's socket stayed open");
        await socket.DisposeAsync();
        var refused = await Assert.ThrowsAnyAsync<Exception>(() =>
            app.Server.CreateWebSocketClient().ConnectAsync(PhoenixTestClient.SocketUri(supervisor.Client.Token), CancellationToken.None));
        Assert.Contains("403", refused.Message);
        // Someone else's socket is untouched.
        Assert.Equal("ok", (await attendantSocket.Heartbeat()).Status);
    }
}
