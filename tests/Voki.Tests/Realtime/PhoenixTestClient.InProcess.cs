using Voki.Tests.Infrastructure;

namespace Voki.Tests.Realtime;

// Apart from the rest so that bench/calls can compile the client without the in-process server.
public sealed partial class PhoenixTestClient
{
    public static async Task<PhoenixTestClient> Connect(VokiApp app, string token)
    {
        var ws = await app.Server.CreateWebSocketClient().ConnectAsync(SocketUri(token), CancellationToken.None);
        return new PhoenixTestClient(ws);
    }
}
