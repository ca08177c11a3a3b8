namespace Voki.Grains;

/// <summary>API timestamps have second precision (decisions.md), so stored ones do too.</summary>
public static class Clock
{
    public static DateTime Now() => Truncate(DateTime.UtcNow);

    public static DateTime Truncate(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
}
