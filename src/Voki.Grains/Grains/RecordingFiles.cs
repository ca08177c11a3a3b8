using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Voki.Grains.Placement;

namespace Voki.Grains.Grains;

/// <summary>
/// Deleting a recording's or a capture's files where they are. The node that captured them is named by its silo
/// endpoint; the files are its local disk unless the recordings root is shared, and only that node can tell whether they
/// are gone. A purge therefore succeeds only once the holder says so (or, with the holder gone, the files are visible and
/// deleted here under a shared root); otherwise it is pending, and the grain that asked tries again later.
/// </summary>
public sealed class RecordingFiles(RecordingOptions options, ILogger logger)
{
    public sealed record Purge(bool Done, string? PendingBecause);

    public static async Task<Purge> PurgeAsync(IServiceProvider services, IGrainFactory grains, string? holder, string[] paths, ILogger logger)
    {
        var local = new RecordingFiles(services.GetRequiredService<RecordingOptions>(), logger);
        var here = services.GetRequiredService<ILocalSiloDetails>().SiloAddress.Endpoint.ToString();
        // Recordings from before holders were recorded, and the holder itself, delete here.
        if (holder is null || holder == here) return new Purge(local.Delete(paths), null);
        try
        {
            if (await grains.GetGrain<INodeFilesGrain>(holder).Delete(paths)) return new Purge(true, null);
            return new Purge(false, $"node {holder} could not delete the files");
        }
        catch (Exception e) when (e is NodeNotInClusterException or SiloUnavailableException or TimeoutException or OrleansMessageRejectionException)
        {
            if (paths.Any(Exists) && local.UnderRoot(paths)) return new Purge(local.Delete(paths), null);
            return new Purge(false, $"node {holder}, which holds the files, is not in the cluster ({e.Message})");
        }
    }

    /// <summary>Deletes what exists of <paramref name="paths"/>, and the call directory they leave empty; true once none exists.</summary>
    public bool Delete(string[] paths)
    {
        if (!UnderRoot(paths))
        {
            logger.LogWarning("Refusing to delete {Paths}: outside this node's recordings root {Root}", string.Join(", ", paths), options.Root);
            return false;
        }
        foreach (var path in paths)
        {
            if (File.Exists(path)) File.Delete(path);
            else if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            if (Path.GetDirectoryName(path) is { } parent && Directory.Exists(parent) && !Directory.EnumerateFileSystemEntries(parent).Any()
                && Within(parent)) Directory.Delete(parent);
        }
        return !paths.Any(Exists);
    }

    public bool UnderRoot(string[] paths) => paths.All(Within);

    private bool Within(string path)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Root)) + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(path);
        return full.StartsWith(root, StringComparison.Ordinal) && full.Length > root.Length + 1;
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);
}
