using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Npgsql;
using Voki.Media.Recording;
using Voki.Tests.Browser;
using Voki.Tests.Infrastructure;
using Voki.Tests.Pages;
using Xunit.Abstractions;

namespace Voki.Tests.Recording;

/// <summary>
/// One node on a real port and two Chromiums, each publishing its own <see cref="ClockedMedia"/>: a plain colour (its
/// own) that turns white for 0.1 s each second, with a beep (its own pitch) over the same 0.1 s, both on one clock.
/// </summary>
public sealed class RecordedBrowsers : IAsyncLifetime
{
    public const int Width = 320, Height = 240;
    public static readonly (string Color, int Hz) Customer = ("0xc02020", 1000), Supervisor = ("0x2020c0", 3000);
    public static string MediaOf((string Color, int Hz) look) => ClockedMedia.Script(look.Color, look.Hz, Width, Height);
    public KestrelVokiApp Node { get; } = new();
    public Chromium CustomerBrowser { get; } = new();
    public Chromium SupervisorBrowser { get; } = new();

    public async Task InitializeAsync()
    {
        var node = Node.InitializeAsync();
        await CustomerBrowser.InitializeAsync();
        await SupervisorBrowser.InitializeAsync();
        await node;
    }

    public static async Task Ffmpeg(string[] args)
    {
        var run = await FfmpegProcess.RunAsync("ffmpeg", ["-v", "error", "-nostdin", .. args], TimeSpan.FromMinutes(1), null, false, default);
        Assert.True(run.ExitCode == 0, run.Reason);
    }

    public async Task DisposeAsync()
    {
        if (CustomerBrowser is not null) await CustomerBrowser.DisposeAsync();
        if (SupervisorBrowser is not null) await SupervisorBrowser.DisposeAsync();
        await ((IAsyncLifetime)Node).DisposeAsync();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RecordedBrowsersCollection : ICollectionFixture<RecordedBrowsers>
{
    public const string Name = "recorded-browsers";
}

[Collection(RecordedBrowsersCollection.Name)]
public sealed class RecordingEndToEndBrowserTests(RecordedBrowsers fixture, ITestOutputHelper output)
{
    private const int W = 160, H = 90; // the recording (two cameras side by side: sized to them, 1280×480 for 4:3), scaled down for analysis

    [Fact]
    public async Task A_recorded_browser_call_with_a_late_joiner_is_composed_in_sync_and_downloadable()
    {
        var node = fixture.Node;
        var t = await CallFlows.SignUp(node.BaseUrl, plan: "advanced");
        Assert.Equal(HttpStatusCode.OK, (await t.Scenario.Owner.Put("/api/v1/company", new { recording_enabled = true })).Status);

        // The customer waits; the attendant starts the call from the API (no media of theirs): the customer's media runs alone.
        await using var customer = await CallFlows.CustomerJoins(fixture.CustomerBrowser.Browser, node.BaseUrl, t.LinkToken, "Joana Lima",
            RecordedBrowsers.MediaOf(RecordedBrowsers.Customer));
        var callId = await customer.Page.EvaluateAsync<string>("() => window.voki.call.call_id");
        Assert.Equal(HttpStatusCode.OK, (await t.Attendant.Api.Post($"/api/v1/calls/{callId}/start")).Status);
        await customer.State("call");
        var capture = Path.Combine(node.RecordingsRoot, t.Scenario.Tenant, callId, "capture");
        await using var supervisor = await CallFlows.LogsIn(fixture.SupervisorBrowser.Browser, node.BaseUrl, t, t.Supervisor, "supervisor",
            RecordedBrowsers.MediaOf(RecordedBrowsers.Supervisor));
        // The customer alone for at least three flashes, then both for at least three of the supervisor's.
        await Eventually.Holds(() => CapturedMedia.Seconds(capture, "customer") >= 3.2, TimeSpan.FromSeconds(30), "3.2 s of the customer's audio and video captured");
        await CallFlows.JoinsCall(supervisor, "Joana Lima");
        await supervisor.ReceivesMediaFrom(1);
        await Eventually.Holds(() => CapturedMedia.Seconds(capture, t.Supervisor.Id) >= 3.2, TimeSpan.FromSeconds(30), "3.2 s of the supervisor's audio and video captured");
        Assert.Equal(HttpStatusCode.OK, (await t.Attendant.Api.Post($"/api/v1/calls/{callId}/complete")).Status);

        var clock = Stopwatch.StartNew();
        ApiResponse recording;
        while ((recording = await t.Scenario.Owner.Get($"/api/v1/calls/{callId}/recording")).Status != HttpStatusCode.OK)
        {
            // A liveness bound only: composing is measured by bench/recording, and a node loaded to a load average of 15 took over 40 s.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"no recording: {recording.Status}");
            await Task.Delay(250);
        }
        var composedIn = clock.Elapsed;

        // The media's duration as the capture timeline records it: first join to the end of the capture (completion).
        var timeline = TimelineEvent.Read(capture);
        var model = CaptureReader.Read(capture);
        foreach (var track in model.Tracks)
            output.WriteLine($"{track.ParticipantId} {track.Kind}: {track.StartMs}–{track.EndMs} ms, placed by {track.PlacedBy}, " +
                $"{timeline.Count(e => e.Type == "sr" && e.Ssrc == track.Ssrc)} sender report(s)");
        var joins = timeline.Where(e => e.Type == "join").ToList();
        Assert.Equal(2, joins.Count);
        double expected = (timeline.Single(e => e.Type == "end").At - joins[0].At) / 1000.0, lateJoin = (joins[1].At - joins[0].At) / 1000.0;

        using var http = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };
        HttpRequestMessage Download(string? range = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/calls/{callId}/recording/download");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", t.Scenario.Owner.Token);
            request.Headers.Add("X-Tenant", t.Scenario.Tenant);
            if (range is not null) request.Headers.Add("Range", range);
            return request;
        }
        var full = await http.SendAsync(Download());
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal("video/webm", full.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(full.Headers.ETag);
        Assert.Equal("attachment", full.Content.Headers.ContentDisposition?.DispositionType);
        var bytes = await full.Content.ReadAsByteArrayAsync();
        Assert.Equal(recording.Data["file_size"]!.GetValue<long>(), bytes.Length);
        var part = await http.SendAsync(Download("bytes=0-99"));
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal($"bytes 0-99/{bytes.Length}", part.Content.Headers.ContentRange?.ToString());
        Assert.Equal(bytes[..100], await part.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, (await http.SendAsync(Download($"bytes={bytes.Length + 10}-"))).StatusCode);
        await using (var db = new NpgsqlConnection(node.ConnectionString))
        {
            await db.OpenAsync();
            await using var audit = new NpgsqlCommand("SELECT byte_range FROM recording_audit WHERE call_id = @call AND action = 'download' ORDER BY id", db);
            audit.Parameters.AddWithValue("call", Guid.Parse(callId));
            var ranges = new List<string?>();
            await using (var reader = await audit.ExecuteReaderAsync())
                while (await reader.ReadAsync()) ranges.Add(reader.IsDBNull(0) ? null : reader.GetString(0));
            Assert.Equal([null, "bytes=0-99", $"bytes={bytes.Length + 10}-"], ranges); // one row per download request
        }

        var file = Path.Combine(node.RecordingsRoot, $"{callId}.webm");
        await File.WriteAllBytesAsync(file, bytes);
        var info = await MediaProbe.InfoAsync(file);
        Assert.Contains("webm", info.FormatName);
        Assert.Contains(info.Streams, s => s is { Type: "video", Codec: "vp8" });
        Assert.Contains(info.Streams, s => s is { Type: "audio", Codec: "opus" });
        Assert.True(Math.Abs(info.Duration - expected) <= 0.5, $"recording {info.Duration:F2} s, media {expected:F2} s");

        var frames = await Frames(file);
        (double R, double G, double B) At(double seconds, Rect region) => MediaProbe.Mean(frames[Math.Min(frames.Count - 1, (int)(seconds * 30))], W, region);
        bool Red((double R, double G, double B) c) => c.R > 100 && c.B < 80;
        bool Blue((double R, double G, double B) c) => c.B > 100 && c.R < 80;
        Rect middle = new(50, 20, 60, 50), leftBar = new(0, 10, 30, 70), left = new(10, 20, 60, 50), right = new(90, 20, 60, 50);
        // The frame is sized for the call's two cameras side by side (CompositionPlan): before the late joiner the
        // customer's tile sits in the middle of it, dark on either side (away from a flash); after, the two fill it.
        var before = Enumerable.Range(0, 10).Select(i => lateJoin - 1.5 + i * 0.033).ToList();
        Assert.Contains(before, s => Red(At(s, middle)) && MediaProbe.Luma(At(s, leftBar)) < 25);
        var after = Enumerable.Range(0, 10).Select(i => expected - 1.5 + i * 0.033).ToList();
        Assert.Contains(after, s => Red(At(s, left)) && Blue(At(s, right)));

        var customerOffset = await Offset(file, frames, middle, RecordedBrowsers.Customer.Hz, 0.3, lateJoin - 0.2);
        var supervisorOffset = await Offset(file, frames, right, RecordedBrowsers.Supervisor.Hz, lateJoin + 1.0, expected - 0.2);
        output.WriteLine($"recording {info.Duration:F2} s for {expected:F2} s of media (Δ {info.Duration - expected:+0.00;-0.00} s), late join at {lateJoin:F2} s, " +
            $"composed {composedIn.TotalSeconds:F1} s after completion; beep − flash: customer {customerOffset * 1000:F0} ms, supervisor {supervisorOffset * 1000:F0} ms");
        Assert.True(Math.Abs(customerOffset) <= 0.080, $"customer beep − flash {customerOffset * 1000:F0} ms");
        Assert.True(Math.Abs(supervisorOffset) <= 0.080, $"supervisor beep − flash {supervisorOffset * 1000:F0} ms");
        File.Delete(file);
    }

    /// <summary>The median of (beep onset − flash) over the flashes of <paramref name="region"/> in [from, to) s.</summary>
    private static async Task<double> Offset(string file, List<byte[]> frames, Rect region, int hz, double from, double to)
    {
        var path = file + $".{hz}.f32";
        await RecordedBrowsers.Ffmpeg(["-i", file, "-map", "0:a", "-af", $"bandpass=f={hz}:width_type=h:w=300,bandpass=f={hz}:width_type=h:w=300", "-ac", "1", "-ar", "48000", "-f", "f32le", "-y", path]);
        var bytes = await File.ReadAllBytesAsync(path);
        File.Delete(path);
        var samples = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, samples, 0, samples.Length * 4);
        var onsets = MediaProbe.Onsets(samples, 0.03);
        var flashes = new List<double>();
        for (int i = (int)(from * 30); i < Math.Min(frames.Count, (int)(to * 30)); i++)
            if (MediaProbe.Luma(MediaProbe.Mean(frames[i], W, region)) > 180 && (flashes.Count == 0 || i / 30.0 - flashes[^1] > 0.5)) flashes.Add(i / 30.0);
        Assert.True(flashes.Count >= 2, $"flashes in [{from:F2}, {to:F2}): {flashes.Count}");
        var offsets = flashes.Select(f => onsets.Count == 0 ? double.NaN : onsets.MinBy(o => Math.Abs(o - f)) - f).Where(o => Math.Abs(o) < 0.5).OrderBy(o => o).ToList();
        Assert.True(offsets.Count >= 2, $"flashes at {string.Join(", ", flashes.Select(f => f.ToString("F2", CultureInfo.InvariantCulture)))}; onsets at {string.Join(", ", onsets.Select(o => o.ToString("F2", CultureInfo.InvariantCulture)))}");
        return offsets[offsets.Count / 2];
    }

    private static async Task<List<byte[]>> Frames(string file)
    {
        var path = file + ".rgb";
        await RecordedBrowsers.Ffmpeg(["-i", file, "-map", "0:v", "-fps_mode", "passthrough", "-vf", $"scale={W}:{H}", "-pix_fmt", "rgb24", "-f", "rawvideo", "-y", path]);
        var bytes = await File.ReadAllBytesAsync(path);
        File.Delete(path);
        int size = W * H * 3;
        return Enumerable.Range(0, bytes.Length / size).Select(i => bytes.AsSpan(i * size, size).ToArray()).ToList();
    }
}
