using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Voki.Tests.Cluster;

namespace Voki.Tests.Infrastructure;

/// <summary>
/// Where the nodes the tests start write their logs: one file for the run (VOKI_TEST_LOG, set by ./voki test,
/// else .data/test-logs/tests.log), never the console, so the suite's output holds results and failures only.
/// </summary>
public static class TestLog
{
    private static readonly Lazy<StreamWriter> Writer = new(Open);

    public static string Path { get; } = Environment.GetEnvironmentVariable("VOKI_TEST_LOG")
        ?? System.IO.Path.Combine(Repository.Root, ".data", "test-logs", "tests.log");

    /// <summary>Replaces every logging provider of a host with the run's log file.</summary>
    public static void Replace(ILoggingBuilder logging, string source)
    {
        logging.ClearProviders();
        logging.AddProvider(new FileLoggerProvider(source));
    }

    /// <summary>The same for a host configured through its services (Orleans' in-process test silos).</summary>
    public static void Replace(IServiceCollection services, string source)
    {
        services.RemoveAll<ILoggerProvider>();
        services.AddSingleton<ILoggerProvider>(new FileLoggerProvider(source));
    }

    public static void Write(string source, string text)
    {
        var writer = Writer.Value;
        lock (writer) writer.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} [{source}] {text}");
    }

    private static StreamWriter Open()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        return new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    private sealed class FileLoggerProvider(string source) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new FileLogger(source, categoryName);
        public void Dispose() { }
    }

    private sealed class FileLogger(string source, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            Write(source, $"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : Environment.NewLine + exception)}");
        }
    }
}
