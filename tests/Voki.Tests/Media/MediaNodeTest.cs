using Voki.Media.Client;
using Voki.Media.Sfu;

namespace Voki.Tests.Media;

/// <summary>
/// A test with a media node of its own (an ephemeral UDP port, so test classes run side by side) and the client-mode
/// peers it joins to it, all disposed after the test.
/// </summary>
public abstract class MediaNodeTest(MediaNodeOptions? options = null) : IDisposable
{
    protected MediaNode Node { get; } = new(options ?? new MediaNodeOptions { Port = 0 });
    protected List<SyntheticPeer> Peers { get; } = [];

    public virtual void Dispose()
    {
        foreach (var peer in Peers) peer.Dispose();
        Node.Dispose();
        GC.SuppressFinalize(this);
    }
}
