using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Voki.Media.Recording;

/// <summary>
/// Starts heavy work (FFmpeg, Whisper's threads) below the priority of live media. Linux keeps a nice value per
/// thread and a new thread or process takes its creator's, so the work is started from a short-lived thread that
/// first lowers its own nice to <see cref="Nice"/>: every thread the work ever has begins there, with no window at
/// normal priority (setting a process's priority after it started changes its first thread only). A nice value cannot
/// be raised again without privilege, which is why the pool's threads are never the ones lowered.
/// </summary>
public static partial class BelowNormalPriority
{
    /// <summary>The nice value of heavy work: against live media at 0 it gets about a tenth of a contended core (CFS weights 110 vs 1024).</summary>
    public const int Nice = 10;

    /// <summary>Runs <paramref name="start"/> on a thread of its own at <see cref="Nice"/>, waits for it and returns its result.</summary>
    public static T Run<T>(Func<T> start)
    {
        if (!OperatingSystem.IsLinux()) return start();
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            Lower();
            try { result = start(); }
            catch (Exception e) { error = ExceptionDispatchInfo.Capture(e); }
        }) { IsBackground = true, Name = "voki-below-normal" };
        thread.Start();
        thread.Join();
        error?.Throw();
        return result;
    }

    /// <summary>This thread's nice value as Linux reports it (/proc/thread-self/stat), for checks and tests.</summary>
    public static int CurrentThreadNice() => NiceOf($"/proc/self/task/{gettid()}/stat");

    /// <summary>The nice value in a /proc/…/stat file (field 19, after the parenthesised command name).</summary>
    public static int NiceOf(string statFile)
    {
        var stat = File.ReadAllText(statFile);
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture); // field 19 of the whole line
    }

    private static void Lower()
    {
        // Not permitted (a seccomp profile, an odd platform): the work then runs at normal priority, as before.
        try { _ = setpriority(PrioProcess, gettid(), Nice); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    private const int PrioProcess = 0;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);

    [LibraryImport("libc")]
    private static partial int gettid();
}
