using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.TestingHost;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;
using Voki.Silo;
using Voki.Tests.Grains;
using Voki.Tests.Infrastructure;
using Voki.Transcription;

namespace Voki.Tests.Transcription;

/// <summary>A database and a one-silo cluster whose silo runs the recording pipeline (<see cref="TranscriptionPipeline"/>).</summary>
public sealed class TranscriptionClusterFixture : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;
    public TestCluster Cluster { get; private set; } = null!;
    public string ServiceId { get; } = "voki-transcripts-" + Guid.NewGuid().ToString("N")[..8];
    public string Root { get; } = TranscriptionFixtures.TempDirectory("transcription-grains");
    public IGrainFactory Grains => Cluster.Grains();
    public TranscriptRows Rows => Cluster.Services().GetRequiredService<TranscriptRows>();

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        await DatabaseMigrator.MigrateAsync(Database.ConnectionString, NullLogger.Instance);
        Cluster = await GrainClusters.StartAsync(Database.ConnectionString, ServiceId, configure: TranscriptionPipeline.Configure);
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        await Database.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }
}

/// <summary>
/// The transcription state machine of the RecordingGrain (decisions.md "Recordings"): pending → processing →
/// completed | failed once the recording is ready, only where the company and plan want it, with bounded retries,
/// one job at a time per node, progress while it runs, and a silo restart in the middle.
/// </summary>
[Collection(WhisperCollection.Name)]
public sealed class TranscriptionGrainTests(TranscriptionClusterFixture fixture) : IClassFixture<TranscriptionClusterFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private async Task<string> Company(string plan = "professional", bool transcription = true, string? locale = null)
    {
        var slug = "tr" + Guid.NewGuid().ToString("N")[..12];
        var company = fixture.Grains.GetGrain<ICompanyGrain>(TenantKey.ForCompany(slug));
        GrainTenant.Ok(await company.Create(new Company { Name = slug, Slug = slug, Plan = plan, RecordingEnabled = true, TranscriptionEnabled = transcription }));
        if (locale is not null) GrainTenant.Ok(await company.Update(new CompanyChanges { Locale = locale }));
        return slug;
    }

    private string Capture(double seconds = 1)
    {
        var dir = Path.Combine(fixture.Root, Guid.NewGuid().ToString("N"));
        return new CaptureBuilder(Path.Combine(dir, "capture"))
            .Join("u-1", "Ana Souza", "attendant", 0.1)
            .Join("customer", "Carlos Ferreira", "customer", 0.2)
            .Audio("u-1", 0.5, "-f", "lavfi", "-i", $"sine=f=500:d={seconds}")
            .Audio("customer", 1.0, "-f", "lavfi", "-i", $"sine=f=300:d={seconds}")
            .Write();
    }

    private async Task<IRecordingGrain> Record(string slug, string capture, Guid? callId = null, int retentionDays = 90)
    {
        var grain = fixture.Grains.GetGrain<IRecordingGrain>(TenantKey.For(slug, callId ?? Guid.NewGuid()));
        await grain.Begin(new RecordingRequest
        {
            CaptureDirectory = capture,
            OutputPath = Path.Combine(Path.GetDirectoryName(capture)!, "recording.webm"),
            RetentionDays = retentionDays,
        });
        return grain;
    }

    private static async Task<TranscriptView> Until(IRecordingGrain grain, Func<TranscriptView, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        TranscriptView? view = null;
        while (DateTime.UtcNow < deadline)
        {
            view = await grain.GetTranscript();
            if (view is not null && condition(view)) return view;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"waited {Patience} for {what}; last: {view?.Transcription}");
    }

    private static CallTranscript Spoken(string language = "pt-BR") => new(language,
    [
        new TranscriptSegment { Start = 1.2, End = 2.4, Speaker = "customer", SpeakerName = "Carlos Ferreira", Text = "Preciso da segunda via." },
        new TranscriptSegment { Start = 0.6, End = 1.1, Speaker = "attendant", SpeakerName = "Ana Souza", Text = "Olá!" },
    ], 2.0);

    private async Task<string[]> Reminders(IRecordingGrain grain)
    {
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT remindername FROM orleansreminderstable WHERE serviceid = $1 AND grainid LIKE '%' || $2 ORDER BY remindername", connection);
        cmd.Parameters.AddWithValue(fixture.ServiceId);
        cmd.Parameters.AddWithValue(grain.GetPrimaryKeyString());
        var names = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        return [.. names];
    }

    private async Task<(string Status, int Attempts, string? Reason, string? Text)> Row(string slug, IRecordingGrain grain)
    {
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT status, attempts, failure_reason, text FROM transcripts WHERE tenant = $1 AND call_id = $2", connection);
        cmd.Parameters.AddWithValue(slug);
        cmd.Parameters.AddWithValue(TenantKey.IdOf(grain.GetPrimaryKeyString()));
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "no transcripts row");
        return (reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3));
    }

    [Fact]
    public async Task A_ready_recording_is_transcribed_with_progress_then_completed_with_merged_text_and_stored_segments()
    {
        var slug = await Company();
        var capture = Capture();
        var gate = new Gate();
        ScriptedTranscriber.Script(capture, async job =>
        {
            job.Progress(new TranscriptionProgress { ProcessedSeconds = 0.8, TotalSeconds = 2.0 });
            await gate.Hold(job.Cancellation);
            var heard = await job.Whisper.TranscribeAsync(job.Directory, job.Locale, job.Progress, job.Cancellation); // the real thing: nothing to say
            Assert.Empty(heard.Segments);
            return Spoken(heard.Language!);
        });

        var grain = await Record(slug, capture);
        await gate.Entered.WaitAsync(Patience);
        var running = await Until(grain, v => v.Progress?.ProcessedSeconds > 0, "progress");
        Assert.Equal((TranscriptionStatus.Processing, 1, 40, "pt-BR"), (running.Transcription.Status, running.Transcription.Attempts, running.Progress!.Percent, running.Transcription.Language));
        Assert.Equal(RecordingStatus.Ready, (await grain.Get())!.Status);
        Assert.Contains("transcribe", await Reminders(grain));
        Assert.Equal(TranscriptionStatus.Processing, (await Row(slug, grain)).Status);

        gate.Release();
        var done = await Until(grain, v => v.Transcription.Status == TranscriptionStatus.Completed, "completion");

        Assert.Null(done.Progress);
        Assert.Equal("Ana Souza: Olá!\nCarlos Ferreira: Preciso da segunda via.", done.Transcription.Text);
        Assert.Equal(("pt-BR", 2, (string?)null), (done.Transcription.Language, done.Transcription.SegmentCount, done.Transcription.FailureReason));
        Assert.Equal(done.Transcription, (await grain.Get())!.Transcription);
        var segments = await fixture.Rows.SegmentsAsync(slug, TenantKey.IdOf(grain.GetPrimaryKeyString()));
        Assert.Equal(["attendant", "customer"], segments.Select(s => s.Speaker)); // in time order
        Assert.Equal([0.6, 1.2], segments.Select(s => s.Start));
        Assert.Equal((TranscriptionStatus.Completed, 1, (string?)null, done.Transcription.Text), await Row(slug, grain));
        // The final state is saved before the reminder is unregistered (a crash between them must not lose the job).
        await Eventually.Holds(async () => !(await Reminders(grain)).Contains("transcribe"), Patience, "the transcribe reminder unregistered");
    }

    [Fact]
    public async Task The_real_whisper_path_completes_in_the_company_locale_or_with_the_detected_language()
    {
        var english = await Company(locale: "en-US");
        var recorded = await Record(english, Capture());
        var done = await Until(recorded, v => !v.Transcription.Active, "completion");
        Assert.Equal((TranscriptionStatus.Completed, "en-US", "", 0), (done.Transcription.Status, done.Transcription.Language, done.Transcription.Text, done.Transcription.SegmentCount));
        Assert.InRange(done.Transcription.AudioSeconds!.Value, 1.9, 2.1);

        var detecting = await Company(locale: "detect");
        var detected = await Until(await Record(detecting, Capture()), v => !v.Transcription.Active, "completion");
        Assert.Equal((TranscriptionStatus.Completed, "detect", (string?)null), (detected.Transcription.Status, detected.Transcription.Locale, detected.Transcription.Language));
    }

    [Fact]
    public async Task No_transcription_applies_when_the_company_turned_it_off_or_its_plan_lacks_it()
    {
        foreach (var slug in new[] { await Company(transcription: false), await Company(plan: "basic") })
        {
            var capture = Capture();
            var grain = await Record(slug, capture);
            var recording = await Until2(grain);
            Assert.Null(recording.Transcription);
            Assert.Null(await grain.GetTranscript());
            Assert.DoesNotContain("transcribe", await Reminders(grain));
            Assert.Equal(0, ScriptedTranscriber.CallsFor(capture));
        }

        static async Task<Voki.Grains.Model.Recording> Until2(IRecordingGrain grain)
        {
            for (var i = 0; i < 600; i++)
            {
                if (await grain.Get() is { Status: RecordingStatus.Ready } ready) return ready;
                await Task.Delay(50);
            }
            throw new Xunit.Sdk.XunitException("the recording never became ready");
        }
    }

    [Fact]
    public async Task One_job_runs_at_a_time_on_a_node_and_the_next_waits_pending()
    {
        var slug = await Company();
        var (first, second) = (Capture(), Capture());
        var gate = new Gate();
        ScriptedTranscriber.Script(first, async job => { await gate.Hold(job.Cancellation); return Spoken(); });
        ScriptedTranscriber.Script(second, _ => Task.FromResult(Spoken()));

        var a = await Record(slug, first);
        await gate.Entered.WaitAsync(Patience);
        var b = await Record(slug, second);
        await Until(b, v => v.Transcription.Status == TranscriptionStatus.Pending, "the second job queued");
        await Task.Delay(500);
        var waiting = (await b.GetTranscript())!;
        Assert.Equal((TranscriptionStatus.Pending, 0, (TranscriptionProgress?)null), (waiting.Transcription.Status, waiting.Transcription.Attempts, waiting.Progress));
        Assert.Equal(0, ScriptedTranscriber.CallsFor(second));
        Assert.Equal(TranscriptionStatus.Processing, (await a.GetTranscript())!.Transcription.Status);

        gate.Release();
        await Until(a, v => v.Transcription.Status == TranscriptionStatus.Completed, "the first job");
        await Until(b, v => v.Transcription.Status == TranscriptionStatus.Completed, "the second job");
    }

    [Fact]
    public async Task A_corrupt_model_fails_the_transcription_after_its_bounded_retries_keeping_the_reason()
    {
        var corrupt = Path.Combine(fixture.Root, "ggml-corrupt.bin");
        if (!File.Exists(corrupt))
        {
            var noise = new byte[10 << 20];
            new Random(11).NextBytes(noise);
            await File.WriteAllBytesAsync(corrupt, [.. await File.ReadAllBytesAsync(TranscriptionFixtures.HeaderOnlyModel), .. noise]);
        }
        var slug = await Company();
        var capture = Capture();
        ScriptedTranscriber.Script(capture, job =>
        {
            var options = new TranscriptionOptions { ModelPath = corrupt, FfmpegPath = job.Options.FfmpegPath, Threads = 1 };
            return new WhisperCallTranscriber(options, job.Logger).TranscribeAsync(job.Directory, job.Locale, job.Progress, job.Cancellation);
        });

        var grain = await Record(slug, capture);
        var failed = await Until(grain, v => v.Transcription.Status == TranscriptionStatus.Failed, "failure");

        const string reason = "the Whisper model ggml-corrupt.bin could not be loaded: the file is corrupt or truncated";
        Assert.StartsWith(reason, failed.Transcription.FailureReason);
        Assert.Equal((3, (string?)null, (DateTime?)null), (failed.Transcription.Attempts, failed.Transcription.Text, failed.Transcription.NextAttemptAt));
        Assert.Equal(3, ScriptedTranscriber.CallsFor(capture));
        var row = await Row(slug, grain);
        Assert.Equal((TranscriptionStatus.Failed, 3), (row.Status, row.Attempts));
        Assert.StartsWith(reason, row.Reason);
        // The final state is saved before the reminder is unregistered (a crash between them must not lose the job).
        await Eventually.Holds(async () => !(await Reminders(grain)).Contains("transcribe"), Patience, "the transcribe reminder unregistered");
        Assert.Equal(RecordingStatus.Ready, (await grain.Get())!.Status); // the recording itself is fine
    }

    [Fact]
    public async Task A_failed_attempt_goes_back_to_pending_with_its_reason_and_the_retry_succeeds()
    {
        var slug = await Company();
        var capture = Capture();
        ScriptedTranscriber.Script(capture, job => job.Call == 1
            ? throw new InvalidDataException("FFmpeg could not decode u-1-audio-00000001.ogg (exit 1): Invalid data")
            : Task.FromResult(Spoken()));

        var grain = await Record(slug, capture);
        var done = await Until(grain, v => v.Transcription.Status == TranscriptionStatus.Completed, "completion after a retry");

        Assert.Equal((2, (string?)null), (done.Transcription.Attempts, done.Transcription.FailureReason));
        Assert.Equal(2, ScriptedTranscriber.CallsFor(capture));
    }

    [Fact]
    public async Task Retention_purges_the_transcript_with_the_recording_and_stops_a_running_job()
    {
        var slug = await Company();
        var capture = Capture();
        var gate = new Gate();
        var stopped = new TaskCompletionSource();
        ScriptedTranscriber.Script(capture, async job =>
        {
            try { await gate.Hold(job.Cancellation); }
            catch (OperationCanceledException) { stopped.TrySetResult(); throw; }
            return Spoken();
        });

        var grain = await Record(slug, capture, retentionDays: 0); // expires as soon as it is ready
        await gate.Entered.WaitAsync(Patience);
        await stopped.Task.WaitAsync(Patience);
        for (var i = 0; i < 200 && (await grain.Get())!.Status != RecordingStatus.Expired; i++) await Task.Delay(50);

        var recording = (await grain.Get())!;
        Assert.Equal(RecordingStatus.Expired, recording.Status);
        Assert.Null(recording.Transcription);
        Assert.Null(await grain.GetTranscript());
        Assert.Empty(await fixture.Rows.SegmentsAsync(slug, recording.CallId));
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM transcripts WHERE tenant = $1", connection) { Parameters = { new() { Value = slug } } };
        Assert.Equal(0L, await count.ExecuteScalarAsync());
        Assert.False(Directory.Exists(capture));
    }

    [Fact]
    public async Task A_silo_restart_in_the_middle_of_a_transcription_resumes_it_on_the_new_silo()
    {
        var slug = await Company();
        var capture = Capture();
        var gate = new Gate();
        ScriptedTranscriber.Script(capture, async job =>
        {
            if (job.Call > 1) return Spoken();
            job.Progress(new TranscriptionProgress { ProcessedSeconds = 1, TotalSeconds = 2 });
            await gate.Hold(job.Cancellation); // never released: only the shutdown ends it
            throw new InvalidOperationException("unreachable");
        });
        var callId = Guid.NewGuid();
        var grain = await Record(slug, capture, callId);
        await gate.Entered.WaitAsync(Patience);
        Assert.Equal(TranscriptionStatus.Processing, (await Until(grain, v => v.Progress is not null, "processing")).Transcription.Status);

        // Graceful: the node stops the job, which goes back to pending without spending the attempt.
        await fixture.Cluster.RestartSiloAsync(fixture.Cluster.Silos[0]);
        Assert.Contains("transcribe", await Reminders(grain));

        // The reminder resumes it within a minute; any call that activates the grain does so at once.
        grain = fixture.Grains.GetGrain<IRecordingGrain>(TenantKey.For(slug, callId));
        var done = await Until(grain, v => v.Transcription.Status == TranscriptionStatus.Completed, "completion on the restarted silo");

        Assert.Equal(2, ScriptedTranscriber.CallsFor(capture));
        Assert.Equal(1, done.Transcription.Attempts);
        Assert.Equal(2, (await fixture.Rows.SegmentsAsync(slug, callId)).Count);
        // The final state is saved before the reminder is unregistered (a crash between them must not lose the job).
        await Eventually.Holds(async () => !(await Reminders(grain)).Contains("transcribe"), Patience, "the transcribe reminder unregistered");
    }

    [Fact]
    public async Task A_silo_that_dies_in_the_middle_of_a_transcription_has_spent_that_attempt_and_the_next_silo_finishes()
    {
        var slug = await Company();
        var capture = Capture();
        var gate = new Gate();
        ScriptedTranscriber.Script(capture, async job =>
        {
            if (job.Call > 1) return Spoken();
            await gate.Hold(CancellationToken.None); // a crash: nothing stops it, nothing is written
            throw new InvalidOperationException("unreachable");
        });
        var callId = Guid.NewGuid();
        var grain = await Record(slug, capture, callId);
        await gate.Entered.WaitAsync(Patience);
        await Until(grain, v => v.Transcription.Status == TranscriptionStatus.Processing, "processing");

        await fixture.Cluster.KillSiloAsync(fixture.Cluster.Silos[0]);
        await fixture.Cluster.StartAdditionalSiloAsync();

        grain = fixture.Grains.GetGrain<IRecordingGrain>(TenantKey.For(slug, callId));
        var done = await Until(grain, v => v.Transcription.Status == TranscriptionStatus.Completed, "completion on the new silo");
        Assert.Equal(2, done.Transcription.Attempts);
        Assert.Equal(2, ScriptedTranscriber.CallsFor(capture));
    }
    /// <summary>
    /// Issue 12 item 6: each window the job finishes is in the grain's persisted state as soon as it is done, so a silo
    /// that dies after the first of two windows leaves a job that the next silo resumes from the second: the first is
    /// not transcribed again, and the stored transcript is the one an uninterrupted job gives.
    /// </summary>
    [SkippableFact]
    public async Task A_job_cut_off_by_a_crash_resumes_on_the_next_silo_after_its_last_finished_window()
    {
        var model = TranscriptionFixtures.SyntheticModel();
        var options = new TranscriptionOptions { ModelPath = model, Threads = 2, TemperatureFallback = false };
        var slug = await Company(locale: "en-US");
        var dir = Path.Combine(fixture.Root, Guid.NewGuid().ToString("N"));
        var capture = new CaptureBuilder(Path.Combine(dir, "capture"))
            .Join("u-1", "Ana Souza", "attendant", 0.1)
            .Join("customer", "Carlos Ferreira", "customer", 0.2)
            .Audio("u-1", 0.5, "-i", TranscriptionFixtures.Jfk, "-t", "6")
            .Audio("customer", 4.0, "-i", TranscriptionFixtures.Jfk)
            .Write();
        var uninterrupted = await new WhisperCallTranscriber(options, NullLogger<WhisperCallTranscriber>.Instance)
            .TranscribeAsync(capture, "en-US", _ => { }, CancellationToken.None);

        var firstDone = new TaskCompletionSource<TranscribedWindow>(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new Gate();
        TranscriptionCheckpoint? resumedWith = null;
        var transcribedAgain = new List<TranscribedWindow>();
        ScriptedTranscriber.Script(capture, async job =>
        {
            var whisper = new WhisperCallTranscriber(options, job.Logger);
            if (job.Call > 1)
            {
                resumedWith = job.Checkpoint;
                return await whisper.TranscribeAsync(job.Directory, job.Locale, job.Progress, job.Cancellation,
                    job.Checkpoint! with { WindowFinished = w => { lock (transcribedAgain) transcribedAgain.Add(w); job.Checkpoint.WindowFinished(w); } });
            }
            return await whisper.TranscribeAsync(job.Directory, job.Locale, job.Progress, job.Cancellation, job.Checkpoint! with
            {
                WindowFinished = w =>
                {
                    job.Checkpoint.WindowFinished(w);
                    firstDone.TrySetResult(w);
                    gate.Hold(CancellationToken.None).Wait(); // a crash comes next: nothing stops this attempt, nothing more is written
                },
            });
        });
        var callId = Guid.NewGuid();
        var grain = await Record(slug, capture, callId);
        var first = await firstDone.Task.WaitAsync(Patience);
        Assert.StartsWith("u-1-audio", first.Track);
        await Until(grain, v => v.Transcription.FinishedWindows.Length == 1, "the first window in the grain's state");

        await fixture.Cluster.KillSiloAsync(fixture.Cluster.Silos[0]);
        await fixture.Cluster.StartAdditionalSiloAsync();

        grain = fixture.Grains.GetGrain<IRecordingGrain>(TenantKey.For(slug, callId));
        var done = await Until(grain, v => v.Transcription.Status == TranscriptionStatus.Completed, "completion on the new silo");
        Assert.Equal(2, ScriptedTranscriber.CallsFor(capture));
        Assert.Equal([(first.Track, first.Start, first.End)], resumedWith!.Finished.Select(w => (w.Track, w.Start, w.End)));
        Assert.Equal(first.Segments, resumedWith.Finished[0].Segments);
        Assert.All(transcribedAgain, w => Assert.StartsWith("customer-audio", w.Track)); // the attendant's window was not done again
        Assert.Single(transcribedAgain);
        Assert.Equal(uninterrupted.Segments, await fixture.Rows.SegmentsAsync(slug, callId));
        Assert.Equal((uninterrupted.Segments.Count, 2), (done.Transcription.SegmentCount, done.Transcription.Attempts));
        Assert.Empty(done.Transcription.FinishedWindows); // the segments live in transcript_segments now
    }
}
