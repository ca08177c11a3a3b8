using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;
using Voki.Grains.Webhooks;

namespace Voki.Grains.Grains;

/// <summary>
/// The recording's transcription (decisions.md "Recordings"): requested when the recording becomes ready and the
/// company's transcription_enabled and its plan allow it; then pending → processing → completed | failed.
/// <list type="bullet">
/// <item>Durable: the state is persisted at every step and a reminder ticks every minute while the job is unfinished,
///   so a job cut off by a crash or a restart starts again when the grain comes back (also on any read of it).</item>
/// <item>Bounded retries: an attempt that fails goes back to pending for <see cref="TranscriptionOptions.RetryDelay"/>;
///   after <see cref="TranscriptionOptions.MaxAttempts"/> the transcription fails, keeping the last reason.
///   An attempt interrupted by a crash counts; one stopped by a graceful shutdown does not.</item>
/// <item>Bounded concurrency: a job holds one of the node's <see cref="TranscriptionSlots"/> while it runs, and stays
///   pending while it waits for one; the work itself runs off the grain's scheduler.</item>
/// </list>
/// </summary>
public sealed partial class RecordingGrain
{
    private const string TranscribeReminder = "transcribe";
    private static readonly TimeSpan TranscribeTick = TimeSpan.FromMinutes(1);
    private Task? _transcription;
    private CancellationTokenSource? _stopTranscription;
    private volatile TranscriptionProgress? _progress;
    private IGrainTimer? _nextAttempt;
    private bool _transcribeReminderRegistered;

    public Task<TranscriptView?> GetTranscript() =>
        Task.FromResult(state.State is { Status: RecordingStatus.Ready, Transcription: { } t }
            ? new TranscriptView { Transcription = t, Progress = t.Status == TranscriptionStatus.Processing ? _progress : null }
            : null);

    public override Task OnActivateAsync(CancellationToken cancellation)
    {
        // A composition that moved here (to a node with room) or came back after its node died starts now, not at the next tick.
        if (state.State is { Exists: true, Status: RecordingStatus.Processing }) _composition = Compose();
        // Back after a restart, a crash or a deactivation with the job unfinished: pick it up right after activation.
        if (state.State is { Status: RecordingStatus.Ready, Transcription.Active: true }) ScheduleAttempt(TimeSpan.Zero);
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellation)
    {
        // A composition waiting for its slot or running stops without spending its attempt.
        _stopComposition?.Cancel();
        if (_composition is { IsCompleted: false } composing) await Task.WhenAny(composing, Task.Delay(Timeout.Infinite, cancellation));
        if (_transcription is not { IsCompleted: false } job) return;
        _stopTranscription?.Cancel();
        // The job writes "pending" back and ends; the reminder starts it again wherever the grain lives next.
        await Task.WhenAny(job, Task.Delay(Timeout.Infinite, cancellation));
    }

    /// <summary>The transcription this recording gets, decided when it becomes ready; null when none applies.</summary>
    private async Task<Transcription?> TranscriptionToRequest()
    {
        var company = await GrainFactory.GetGrain<ICompanyGrain>(TenantKey.ForCompany(Tenant)).Get();
        var plans = ServiceProvider.GetService<PlanCatalog>() ?? PlanCatalog.Default;
        if (company is not { TranscriptionEnabled: true } || !plans[company.Plan].Transcription) return null;
        var locale = string.IsNullOrWhiteSpace(company.Locale) ? "pt-BR" : company.Locale;
        return new Transcription
        {
            Status = TranscriptionStatus.Pending,
            Locale = locale,
            Language = locale == "detect" ? null : locale,
            RequestedAt = Clock.Now(),
        };
    }

    /// <summary>Makes sure the reminder ticks while the job is unfinished, then starts it now or when its retry is due.</summary>
    private async Task ResumeTranscription()
    {
        if (state.State is not { Status: RecordingStatus.Ready, Transcription: { Active: true } transcription }) return;
        if (!_transcribeReminderRegistered)
        {
            await this.RegisterOrUpdateReminder(TranscribeReminder, TranscribeTick, TranscribeTick);
            _transcribeReminderRegistered = true;
        }
        var wait = (transcription.NextAttemptAt ?? DateTime.MinValue) - DateTime.UtcNow;
        if (wait > TimeSpan.Zero) ScheduleAttempt(wait);
        else StartTranscription();
    }

    private async Task TranscriptionReminder()
    {
        if (state.State is { Status: RecordingStatus.Ready, Transcription.Active: true }) await ResumeTranscription();
        else
        {
            _transcribeReminderRegistered = false;
            await Forget(TranscribeReminder);
        }
    }

    /// <summary>A one-shot timer that resumes the job; it keeps the activation alive until it fires.</summary>
    private void ScheduleAttempt(TimeSpan due)
    {
        _nextAttempt?.Dispose();
        _nextAttempt = this.RegisterGrainTimer(async () =>
        {
            try { await ResumeTranscription(); }
            catch (Exception e) { logger.LogWarning(e, "Could not resume the transcription of {Call}; the reminder tries again", this.GetPrimaryKeyString()); }
        }, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = true, Interleave = true });
    }

    private void StartTranscription()
    {
        if (_transcription is { IsCompleted: false } || !CanWorkHere()) return;
        _nextAttempt?.Dispose();
        _nextAttempt = null;
        _transcription = RunTranscription();
    }

    private void StopTranscription() => _stopTranscription?.Cancel();

    /// <summary>Stops a running job and waits (a bounded time) until it has recorded its outcome, so nothing it saves comes after.</summary>
    private async Task StopTranscriptionAndWait()
    {
        StopTranscription();
        if (_transcription is { IsCompleted: false } running) await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(30)));
    }

    private async Task RunTranscription()
    {
        try { await Transcribe(); }
        catch (Exception e) { logger.LogError(e, "Transcription of {Call} could not record its outcome; the reminder tries again", this.GetPrimaryKeyString()); }
    }

    private async Task Transcribe()
    {
        var options = ServiceProvider.GetService<TranscriptionOptions>() ?? new TranscriptionOptions();
        var slots = ServiceProvider.GetService<TranscriptionSlots>();
        if (_stopTranscription is null || _stopTranscription.IsCancellationRequested) _stopTranscription = new CancellationTokenSource();
        var stop = _stopTranscription.Token;

        IDisposable? slot = null;
        try { if (slots is not null) slot = await slots.EnterAsync(this.GetPrimaryKeyString(), stop); }
        catch (OperationCanceledException) { return; }
        using var held = slot;
        if (state.State is not { Status: RecordingStatus.Ready, Transcription: { Active: true } pending }) return;

        var attempt = pending.Attempts + 1;
        var running = pending with { Status = TranscriptionStatus.Processing, Attempts = attempt, StartedAt = Clock.Now(), NextAttemptAt = null };
        await SaveTranscription(running);
        _progress = new TranscriptionProgress();
        var call = this.GetPrimaryKeyString();
        logger.LogInformation("Transcribing {Call} ({Locale}), attempt {Attempt}/{Max}", call, running.Locale, attempt, options.MaxAttempts);
        try
        {
            var transcriber = ServiceProvider.GetService<ICallTranscriber>() ?? throw new InvalidOperationException("this node has no transcriber");
            var capture = state.State.CaptureDirectory;
            if (!Directory.Exists(capture)) throw new DirectoryNotFoundException("the call's capture is not on this node");
            var finished = Channel.CreateUnbounded<TranscribedWindow>(new UnboundedChannelOptions { SingleReader = true });
            var checkpoint = new TranscriptionCheckpoint(running.FinishedWindows, w => finished.Writer.TryWrite(w));
            var job = Task.Run(() => transcriber.TranscribeAsync(capture, running.Locale, p => _progress = p, stop, checkpoint), CancellationToken.None);
            running = await KeepFinishedWindows(running, job, finished.Reader);
            var result = await job;
            var segments = TranscriptText.InTimeOrder(result.Segments);
            await ServiceProvider.GetRequiredService<TranscriptRows>().ReplaceSegmentsAsync(Tenant, state.State.CallId, segments);
            await SaveTranscription(running with
            {
                Status = TranscriptionStatus.Completed,
                Language = result.Language,
                Text = TranscriptText.Merge(segments),
                SegmentCount = segments.Count,
                AudioSeconds = Math.Round(result.AudioSeconds, 3),
                FailureReason = null,
                CompletedAt = Clock.Now(),
                FinishedWindows = [],
            }, segments);
            _transcribeReminderRegistered = false;
            await Forget(TranscribeReminder);
            logger.LogInformation("Transcription of {Call} completed: {Segments} segments, {Seconds:F1} s of audio, {Language}",
                call, segments.Count, result.AudioSeconds, result.Language);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The node is stopping, or retention purged the recording: this attempt does not count.
            logger.LogInformation("Transcription of {Call} stopped before it finished; it starts again later", call);
            await SaveTranscription(running with { Status = TranscriptionStatus.Pending, Attempts = attempt - 1 });
        }
        catch (Exception e)
        {
            var failed = attempt >= options.MaxAttempts;
            logger.LogWarning(e, "Transcription {Attempt}/{Max} of {Call} failed: {Reason}", attempt, options.MaxAttempts, call, e.Message);
            await SaveTranscription(running with
            {
                Status = failed ? TranscriptionStatus.Failed : TranscriptionStatus.Pending,
                FailureReason = Reason(e, state.State.CaptureDirectory),
                NextAttemptAt = failed ? null : DateTime.UtcNow + options.RetryDelay,
                FinishedWindows = failed ? [] : running.FinishedWindows,
            });
            if (failed)
            {
                _transcribeReminderRegistered = false;
                await Forget(TranscribeReminder);
            }
            else ScheduleAttempt(options.RetryDelay);
        }
        finally
        {
            _progress = null;
        }
    }

    /// <summary>
    /// Persists each window the job finishes as it finishes it (the grain's state only: the transcripts row has no use for
    /// them), so that an attempt cut off by a crash, a shutdown or a failure resumes after them. Returns the job's state
    /// with every window it finished, once it has ended.
    /// </summary>
    private async Task<Transcription> KeepFinishedWindows(Transcription running, Task job, ChannelReader<TranscribedWindow> finished)
    {
        while (true)
        {
            var more = finished.WaitToReadAsync().AsTask();
            if (await Task.WhenAny(job, more) == job && !finished.TryPeek(out _)) return running;
            var windows = new List<TranscribedWindow>();
            while (finished.TryRead(out var window)) windows.Add(window);
            if (windows.Count == 0) continue;
            running = running with { FinishedWindows = [.. running.FinishedWindows, .. windows] };
            if (state.State is not { Status: RecordingStatus.Ready, Transcription: not null }) continue; // purged meanwhile
            state.State = state.State with { Transcription = running };
            await state.WriteStateAsync();
        }
    }

    /// <summary>The exception's message for failure_reason, which the API shows: without server paths, and not too long.</summary>
    private static string Reason(Exception e, string captureDirectory)
    {
        var reason = string.IsNullOrEmpty(captureDirectory) ? e.Message : e.Message.Replace(captureDirectory, "(capture)");
        return reason.Length <= 500 ? reason : reason[..497] + "...";
    }

    /// <summary>
    /// Persists a transcription step: the transcripts row (with transcription.completed or .failed in its transaction once
    /// the job has its outcome), then the grain's state. The recording's own row is unchanged.
    /// </summary>
    private async Task SaveTranscription(Transcription transcription, IReadOnlyList<TranscriptSegment>? segments = null)
    {
        if (state.State.Status != RecordingStatus.Ready || state.State.Transcription is null) return; // purged meanwhile
        var outcome = transcription.Status switch
        {
            TranscriptionStatus.Completed => WebhookEvents.TranscriptionCompleted,
            TranscriptionStatus.Failed => WebhookEvents.TranscriptionFailed,
            _ => null,
        };
        IReadOnlyList<WebhookEvent>? events = outcome is null ? null
            : [RecordingWebhookEvents.Transcription(outcome, state.State.CallId, transcription, segments ?? [])];
        await ServiceProvider.GetRequiredService<TranscriptRows>().UpsertAsync(Tenant, state.State.CallId, transcription, events);
        // Only now: this job runs beside the grain's requests, which must not see a step whose row is not written yet.
        state.State = state.State with { Transcription = transcription };
        await state.WriteStateAsync();
    }
}
