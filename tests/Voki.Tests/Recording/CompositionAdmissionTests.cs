using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.TestingHost;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;
using Voki.Media.Recording;
using Voki.Silo;
using Voki.Tests.Grains;
using Voki.Tests.Infrastructure;
using Voki.Tests.Transcription;

namespace Voki.Tests.Recording;

/// <summary>A database and a one-silo cluster that composes with the node's real FFmpeg composer through one composition slot.</summary>
public sealed class CompositionClusterFixture : IAsyncLifetime
{
    /// <summary>FFmpeg may run 6 s plus 1 s per recorded second: ~9.5 s for the 3.5 s captures here, which compose in ~1-2 s.</summary>
    public static readonly TimeSpan MinimumTimeout = TimeSpan.FromSeconds(6);

    public TestDatabase Database { get; private set; } = null!;
    public TestCluster Cluster { get; private set; } = null!;
    public string Root { get; } = TranscriptionFixtures.TempDirectory("composition-slots");
    public IGrainFactory Grains => Cluster.Grains();
    public CompositionSlots Slots => Cluster.Services().GetRequiredService<CompositionSlots>();

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        await DatabaseMigrator.MigrateAsync(Database.ConnectionString, NullLogger.Instance);
        Cluster = await GrainClusters.StartAsync(Database.ConnectionString, "voki-compose-" + Guid.NewGuid().ToString("N")[..8], configure: builder =>
        {
            builder.Properties["Recordings:Root"] = Root;
            builder.Properties["Recordings:CompositionSlots"] = "1";
            builder.Properties["Recordings:Composition:MinimumTimeout"] = MinimumTimeout.ToString();
            builder.Properties["Recordings:Composition:TimeoutPerRecordedSecond"] = "1";
            builder.AddSiloBuilderConfigurator<NodeComposer>();
        });
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        await Database.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }

    /// <summary>The node's recording services as AddVokiMedia registers them: options, slots and the FFmpeg composer.</summary>
    private sealed class NodeComposer : IHostConfigurator
    {
        public void Configure(IHostBuilder host) => host.ConfigureServices((context, services) =>
        {
            services.AddSingleton(context.Configuration.GetSection("Recordings").Get<RecordingOptions>()!);
            services.AddSingleton<RecordingRows>();
            services.AddSingleton<CompositionSlots>();
            services.AddSingleton<IRecordingComposer, FfmpegRecordingComposer>();
        });
    }
}

/// <summary>
/// Issue 12 item 2: a burst of completed calls never starts more FFmpegs than the node has composition slots; the
/// others wait in order, still <c>processing</c>, without spending an attempt or their time limit, and every one ends
/// <c>ready</c>. FFmpeg runs below normal priority, every thread of it.
/// </summary>
public sealed class CompositionAdmissionTests(CompositionClusterFixture fixture) : IClassFixture<CompositionClusterFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private async Task<string> Company()
    {
        var slug = "cs" + Guid.NewGuid().ToString("N")[..12];
        var company = fixture.Grains.GetGrain<ICompanyGrain>(TenantKey.ForCompany(slug));
        GrainTenant.Ok(await company.Create(new Company { Name = slug, Slug = slug, Plan = "professional", RecordingEnabled = true }));
        return slug;
    }

    /// <summary>A 3.5 s two-party capture (FFmpeg-encoded video and audio) and the recording grain of its call, not begun yet.</summary>
    private async Task<(IRecordingGrain Grain, RecordingRequest Request)> Captured(string slug)
    {
        var callId = Guid.NewGuid();
        var directory = Path.Combine(fixture.Root, slug, callId.ToString());
        var capture = Path.Combine(directory, "capture");
        await SyntheticCapture.WriteAsync(capture,
        [
            new SyntheticParty { Id = "customer", Name = "Carlos", Join = 0, AudioStart = 0.1, VideoStart = 0.1, Leave = 3.5, VideoWidth = 160, VideoHeight = 120, AudioSsrc = 11, VideoSsrc = 12 },
            new SyntheticParty { Id = "attendant", Name = "Ana", Role = "attendant", Join = 0.5, AudioStart = 0.6, VideoStart = 0.6, Leave = 3.5, VideoWidth = 160, VideoHeight = 120, AudioSsrc = 21, VideoSsrc = 22 },
        ], end: 3.5);
        var grain = fixture.Grains.GetGrain<IRecordingGrain>(TenantKey.For(slug, callId));
        return (grain, new RecordingRequest { CaptureDirectory = capture, OutputPath = Path.Combine(directory, "recording.webm"), RetentionDays = 30 });
    }

    /// <summary>The FFmpeg processes composing under this fixture's root, with the nice value of each of their threads.</summary>
    private IReadOnlyList<(int Pid, int[] Nices)> Compositions()
    {
        var found = new List<(int, int[])>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "comm")).Trim() != "ffmpeg") continue;
                if (!File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(fixture.Root, StringComparison.Ordinal)) continue;
                var nices = Directory.EnumerateDirectories(Path.Combine(dir, "task"))
                    .Select(task => BelowNormalPriority.NiceOf(Path.Combine(task, "stat"))).ToArray();
                found.Add((pid, nices));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // it ended while being read
        }
        return found;
    }

    [Fact]
    public async Task With_one_slot_three_calls_completed_at_once_compose_one_at_a_time_the_others_wait_processing_and_all_end_ready()
    {
        var slug = await Company();
        var calls = new List<(IRecordingGrain Grain, RecordingRequest Request)>();
        for (var i = 0; i < 3; i++) calls.Add(await Captured(slug));

        await Task.WhenAll(calls.Select(c => c.Grain.Begin(c.Request)));

        var seen = new Dictionary<int, int[]>();
        var mostAtOnce = 0;
        var sawTwoWaiting = false;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var running = Compositions();
            mostAtOnce = Math.Max(mostAtOnce, running.Count);
            foreach (var (pid, nices) in running) seen[pid] = seen.TryGetValue(pid, out var before) ? [.. before, .. nices] : nices;

            var view = fixture.Slots.View();
            // Read with the view, not after the awaits below, during which the first may finish and the next take its slot.
            var places = view.Waiting.ToDictionary(w => w.Job, w => fixture.Slots.PlaceOf(w.Job));
            var recordings = await Task.WhenAll(calls.Select(c => c.Grain.Get()));
            Assert.All(recordings, r => Assert.NotEqual(RecordingStatus.Failed, r!.Status));
            if (view.Waiting.Count == 2)
            {
                // The two behind the first: still processing, in order, not one attempt spent.
                sawTwoWaiting = true;
                Assert.Equal([1, 2], view.Waiting.Select(w => w.Place));
                Assert.Single(view.Running);
                foreach (var waiting in view.Waiting)
                {
                    var recording = recordings.Single(r => TenantKey.For(slug, r!.CallId) == waiting.Job)!;
                    Assert.Equal((RecordingStatus.Processing, 0, (string?)null), (recording.Status, recording.Attempts, recording.FailureReason));
                    Assert.Equal(waiting.Place, places[waiting.Job]);
                }
            }
            if (recordings.All(r => r!.Status == RecordingStatus.Ready)) break;
            Assert.True(clock.Elapsed < Patience, $"not all ready within {Patience}: {string.Join(", ", recordings.Select(r => r!.Status))}");
            await Task.Delay(15);
        }

        Assert.Equal(1, mostAtOnce);
        Assert.True(sawTwoWaiting, "never saw two recordings waiting behind the first");
        Assert.True(seen.Count >= 3, $"saw {seen.Count} FFmpeg compositions, not the three");
        Assert.All(seen, s => Assert.All(s.Value, nice => Assert.Equal(BelowNormalPriority.Nice, nice)));
        foreach (var (grain, request) in calls)
        {
            var ready = (await grain.Get())!;
            Assert.Equal((1, (string?)null), (ready.Attempts, ready.FailureReason));
            Assert.True(new FileInfo(request.OutputPath).Length > 1000);
        }
        await Eventually.Holds(() => (fixture.Slots.Running, fixture.Slots.Waiting) == (0, 0), TimeSpan.FromSeconds(10), "every slot given back");
        // The pool's threads that started those FFmpegs keep their normal priority.
        Assert.Equal(0, await Task.Run(BelowNormalPriority.CurrentThreadNice));
    }

    [Fact]
    public async Task A_recording_that_waits_longer_than_its_time_limit_is_composed_once_a_slot_frees_and_spends_one_attempt()
    {
        var slug = await Company();
        var (grain, request) = await Captured(slug);
        var job = grain.GetPrimaryKeyString();

        // Another job holds the node's only slot for longer than FFmpeg may run on this recording (~9.5 s).
        var held = await fixture.Slots.EnterAsync("other/" + Guid.NewGuid(), CancellationToken.None);
        var timeLimit = new CompositionOptions { MinimumTimeout = CompositionClusterFixture.MinimumTimeout, TimeoutPerRecordedSecond = 1 }.TimeLimit(3.5);
        try
        {
            await grain.Begin(request);
            await Eventually.Holds(() => fixture.Slots.PlaceOf(job) == 1, TimeSpan.FromSeconds(10), "the recording waiting first in line");
            await Task.Delay(timeLimit + TimeSpan.FromSeconds(2));

            var waiting = (await grain.Get())!;
            Assert.Equal((RecordingStatus.Processing, 0, (string?)null), (waiting.Status, waiting.Attempts, waiting.FailureReason));
            Assert.Equal(1, fixture.Slots.PlaceOf(job));
            Assert.Empty(Compositions());
        }
        finally
        {
            held.Dispose();
        }

        Voki.Grains.Model.Recording? ready = null;
        await Eventually.Holds(async () => (ready = await grain.Get())!.Status != RecordingStatus.Processing, Patience, "the composition's end");
        Assert.Equal((RecordingStatus.Ready, 1, (string?)null), (ready!.Status, ready.Attempts, ready.FailureReason));
        await Eventually.Holds(() => fixture.Slots.PlaceOf(job) is null, TimeSpan.FromSeconds(10), "the slot given back");
    }
}
