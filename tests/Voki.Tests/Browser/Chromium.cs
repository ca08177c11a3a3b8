using Microsoft.Playwright;

namespace Voki.Tests.Browser;

/// <summary>Debian's Chromium under Playwright, headless, with fake camera and microphone (architecture.md "Known facts").</summary>
public sealed class Chromium : IAsyncLifetime
{
    private string[] _extraArgs = [];

    /// <summary>A Chromium launched with further switches, e.g. --use-file-for-fake-video-capture=clip.y4m.</summary>
    public static Chromium With(params string[] extraArgs) => new() { _extraArgs = extraArgs };

    /// <summary>Debian's package, or the binary VOKI_CHROMIUM names.</summary>
    public static readonly string ExecutablePath = Environment.GetEnvironmentVariable("VOKI_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
    private IPlaywright? _playwright;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException($"{ExecutablePath} is missing: ./voki test installs Debian's chromium package.");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
                .. _extraArgs,
            ],
        });
    }

    /// <summary>A fresh context and page whose origin (http://localhost) is a secure context, served by <paramref name="html"/>.</summary>
    public async Task<IPage> PageAsync(string html)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { Permissions = ["camera", "microphone"] });
        var page = await context.NewPageAsync();
        await page.RouteAsync("http://localhost:1/**", route => route.FulfillAsync(new RouteFulfillOptions { ContentType = "text/html", Body = html }));
        await page.GotoAsync("http://localhost:1/");
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
