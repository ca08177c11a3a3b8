using System.Runtime.InteropServices;

namespace Voki.Transcription;

/// <summary>
/// Caps glibc's malloc arenas for the process (mallopt M_ARENA_MAX). Whisper runs each window on threads it starts
/// anew (Whisper.net's task, whisper.cpp's workers), and glibc gives a new thread a fresh arena, up to eight per core,
/// each keeping the memory freed in it: a long call's windows grew a job's peak RSS from 0.6 to 1.3 GB (docs/benchmarks.md,
/// "With voice activity detection"). Two arenas serve the node's few native allocators as well.
/// </summary>
internal static class MallocArenas
{
    private const int ArenaMax = -8; // M_ARENA_MAX in malloc.h
    private static int _capped;

    public static void Cap(int arenas = 2)
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _capped, 1) == 1) return;
        try { _ = mallopt(ArenaMax, arenas); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { } // not glibc (musl has no arenas to cap)
    }

    [DllImport("libc")]
    private static extern int mallopt(int parameter, int value);
}
