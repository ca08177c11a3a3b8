namespace Voki.Tests.Media;

/// <summary>
/// Tests that bound what an attack leaves on the managed heap run one at a time, after the parallel tests: the heap is
/// the whole process's, and beside the other test classes it grew by up to 296 MiB over one storm that held nothing.
/// Alone, an attack's test sees what the node under attack holds (5–13 MiB over each of them).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuredCollection
{
    public const string Name = "memory-measured";
}
