using System.Runtime.InteropServices;

namespace Voki.Transcription;

/// <summary>
/// Tunes glibc's malloc for a process that runs Whisper (mallopt, malloc.h), so a job's memory stays flat however many
/// windows it transcribes (docs/benchmarks.md, "With voice activity detection"):
/// <list type="bullet">
/// <item>M_ARENA_MAX 2: Whisper runs each window on threads it starts anew (Whisper.net's task, whisper.cpp's workers),
/// and glibc gives a new thread a fresh arena, up to eight per core, each keeping what was freed in it (a 60-minute
/// call peaked at 1.3 GB).</item>
/// <item>M_MMAP_THRESHOLD 128 KiB, fixed: whisper.cpp allocates and frees its state's buffers (tens of MB) for every
/// window. glibc raises its threshold to the size of each large block freed, so from the second window on those
/// buffers came from the arenas, which fragmented and grew about 13 MB a window (905 MB at 34 windows with the arena
/// cap alone). Kept in their own mappings, they go back to the system when freed: 463 MB.</item>
/// </list>
/// A setting the operator made in the environment (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_) is left as it is.
/// </summary>
internal static class MallocTuning
{
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD
    private const int ArenaMax = -8; // M_ARENA_MAX
    private static int _tuned;

    public static void Apply(int arenas = 2, int mmapThresholdBytes = 128 * 1024)
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _tuned, 1) == 1) return;
        try
        {
            if (Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is null) _ = mallopt(ArenaMax, arenas);
            if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is null) _ = mallopt(MmapThreshold, mmapThresholdBytes);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { } // not glibc (musl has neither)
    }

    [DllImport("libc")]
    private static extern int mallopt(int parameter, int value);
}
