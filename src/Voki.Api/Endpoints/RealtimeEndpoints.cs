using System.Text;
using Voki.Api.Infrastructure;
using Voki.Api.Realtime;

namespace Voki.Api.Endpoints;

/// <summary>
/// <c>GET /socket/websocket?token=…&amp;vsn=2.0.0</c>: the Phoenix Channels socket of reference §3 and
/// decisions.md "Real time". The token is a staff access token or a customer's <c>websocket_token</c>;
/// the official client may also pass it as <c>authToken</c> (sub-protocol <c>base64url.bearer.phx.…</c>).
/// A refused connect answers 403 before the upgrade, as Phoenix does.
/// </summary>
public static class RealtimeEndpoints
{
    public const string Path = "/socket/websocket";
    private const string TokenProtocolPrefix = "base64url.bearer.phx.";

    public static IServiceCollection AddVokiRealtime(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<RealtimeOptions>(configuration.GetSection("Realtime"));
        services.AddSingleton<TopicHub>();
        services.AddSingleton<ChannelAuthorization>();
        services.AddSingleton<SocketAuthenticator>();
        services.AddSingleton<RealtimeServices>();
        return services;
    }

    public static void MapRealtimeEndpoints(this IEndpointRouteBuilder app)
    {
        // The socket authenticates its own token (query or sub-protocol) before the upgrade.
        app.Map(Path, Connect).AllowAnonymous().ExcludeFromDescription();
    }

    private static async Task Connect(HttpContext http, SocketAuthenticator authenticator, RealtimeServices services, IHostApplicationLifetime lifetime)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            await http.Response.WriteAsJsonAsync(Envelope.Error("Expected a WebSocket upgrade"));
            return;
        }
        var (token, protocol) = Token(http);
        var identity = await authenticator.Authenticate(token);
        if (identity is null)
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            await http.Response.WriteAsJsonAsync(Envelope.Error("Forbidden"));
            return;
        }
        using var ws = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = protocol });
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        var format = PhoenixFrame.FormatFor(http.Request.Query["vsn"].FirstOrDefault());
        await new PhoenixSocket(ws, format, identity, services, RecordingAudit.ClientIp(http)).RunAsync(ending.Token);
    }

    /// <summary>The token from <c>?token=</c>, else from the sub-protocols <c>phoenix, base64url.bearer.phx.&lt;token&gt;</c>.</summary>
    private static (string? Token, string? Protocol) Token(HttpContext http)
    {
        var query = http.Request.Query["token"].FirstOrDefault();
        if (!string.IsNullOrEmpty(query)) return (query, http.WebSockets.WebSocketRequestedProtocols.Contains("phoenix") ? "phoenix" : null);
        foreach (var offered in http.WebSockets.WebSocketRequestedProtocols)
        {
            if (!offered.StartsWith(TokenProtocolPrefix, StringComparison.Ordinal)) continue;
            var encoded = offered[TokenProtocolPrefix.Length..].Replace('-', '+').Replace('_', '/');
            encoded = encoded.PadRight(encoded.Length + (4 - encoded.Length % 4) % 4, '=');
            try
            {
                return (Encoding.UTF8.GetString(Convert.FromBase64String(encoded)), "phoenix");
            }
            catch (FormatException)
            {
                return (null, null);
            }
        }
        return (null, null);
    }
}
