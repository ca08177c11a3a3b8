using System.Diagnostics;
using MimeKit;

namespace Voki.Tests.Infrastructure;

/// <summary>
/// A real SMTP server on loopback (tests/fixtures/smtp/smtp_sink.py, Debian's python3-aiosmtpd) that keeps every message
/// it receives as a file, so a test reads the mail a user would get.
/// </summary>
public sealed class SmtpSink : IDisposable
{
    private Process? _process;

    public int Port { get; } = FreePorts.Next();
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), $"voki-test-mail-{Guid.NewGuid():N}");

    public SmtpSink() => Start();

    /// <summary>(Again) listening on <see cref="Port"/>.</summary>
    public void Start()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "fixtures", "smtp", "smtp_sink.py");
        // Debian's interpreter: python3-aiosmtpd is installed for it, not for a python3 earlier on PATH (pyenv's, say).
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var process = Process.Start(new ProcessStartInfo(python, [script, Port.ToString(), Directory])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        }) ?? throw new InvalidOperationException("python3 did not start");
        var ready = process.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(20)) || ready.Result != "ready")
        {
            var error = process.HasExited ? process.StandardError.ReadToEnd() : "no answer in 20 s";
            process.Kill();
            throw new InvalidOperationException($"The test SMTP server did not start (is python3-aiosmtpd installed? ./voki test installs it): {error}");
        }
        _process = process;
    }

    /// <summary>Down, as a mail relay can be: connections to <see cref="Port"/> are refused.</summary>
    public void Stop()
    {
        if (_process is null) return;
        _process.StandardInput.Close();
        if (!_process.WaitForExit(10_000)) _process.Kill();
        _process.Dispose();
        _process = null;
    }

    /// <summary>Every message received so far for <paramref name="address"/> (an envelope recipient), oldest first.</summary>
    public IReadOnlyList<MimeMessage> MailTo(string address) =>
        new DirectoryInfo(Directory).EnumerateFiles("*.eml").OrderBy(f => f.LastWriteTimeUtc).ThenBy(f => f.Name)
            .Select(f => MimeMessage.Load(f.FullName))
            .Where(m => m.Headers["X-Sink-Rcpt-To"]?.Split(',').Any(r => r.Trim().Equals(address, StringComparison.OrdinalIgnoreCase)) == true)
            .ToList();

    /// <summary>Waits until <paramref name="count"/> messages for the address have arrived, and returns them.</summary>
    public async Task<IReadOnlyList<MimeMessage>> AwaitMailTo(string address, int count = 1)
    {
        await Eventually.Holds(() => MailTo(address).Count >= count, TimeSpan.FromSeconds(20), $"{count} mail(s) to {address}");
        return MailTo(address);
    }

    public void Dispose()
    {
        Stop();
        if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
    }
}
