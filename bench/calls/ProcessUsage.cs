using System.Globalization;

namespace Voki.Bench.Calls;

/// <summary>A process's CPU time and peak resident memory as the kernel counts them (proc(5)).</summary>
public readonly record struct ProcessUsage(double CpuSeconds, double ChildrenCpuSeconds, long PeakRssBytes)
{
    // USER_HZ: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)).
    private const double TicksPerSecond = 100;

    public static ProcessUsage Of(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) is in parentheses and may hold spaces: fields are counted after its closing one.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        double Ticks(int field) => long.Parse(fields[field - 3], CultureInfo.InvariantCulture) / TicksPerSecond;
        long hwm = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                hwm = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        // utime + stime (14, 15); cutime + cstime (16, 17): children waited for, i.e. the FFmpeg compositions.
        return new ProcessUsage(Ticks(14) + Ticks(15), Ticks(16) + Ticks(17), hwm);
    }

    public static ProcessUsage Self() => Of(Environment.ProcessId);
}
