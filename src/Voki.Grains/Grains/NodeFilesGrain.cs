using Microsoft.Extensions.Logging;
using Voki.Grains.Placement;

namespace Voki.Grains.Grains;

/// <summary>
/// Key: a node's silo endpoint ("ip:port"). The recordings files on that node's own disk, reached from any node: a
/// recording's or a capture's purge runs here, where the files are, whichever node its grain is active on.
/// </summary>
public interface INodeFilesGrain : IGrainWithStringKey
{
    /// <summary>Deletes the files and directories (under this node's recordings root only); true once none of them exists.</summary>
    Task<bool> Delete(string[] paths);
}

[NodeOfKeyPlacement]
public sealed class NodeFilesGrain(RecordingOptions options, ILogger<NodeFilesGrain> logger) : Grain, INodeFilesGrain
{
    public Task<bool> Delete(string[] paths) => Task.FromResult(new RecordingFiles(options, logger).Delete(paths));
}
