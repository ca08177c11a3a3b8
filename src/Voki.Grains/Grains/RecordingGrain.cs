using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using Voki.Grains.Model;
using Voki.Grains.Placement;
using Voki.Grains.ReadModel;
using Voki.Grains.Webhooks;

namespace Voki.Grains.Grains;

/// <summary>
/// Composes the call's capture into one WebM, retrying a bounded number of times, and purges it when
/// the plan's retention has passed. Reminders make both survive a silo restart: a job whose node died starts again on
/// the node its grain comes back to. Placed by <see cref="JobPlacement"/>: under a shared recordings root on the jobs
/// node with the most room, else beside the call grain that creates it, whose node holds the capture on its disk. Once
/// ready, the recording is transcribed where the company and its plan want it (RecordingGrain.Transcription.cs).
/// </summary>
[JobPlacement]
public sealed partial class RecordingGrain(
    [PersistentState("recording", "Default")] IPersistentState<Recording> state,
    RecordingRows rows, CallRows calls, ILogger<RecordingGrain> logger) : Grain, IRecordingGrain, IRemindable
{
    public const int MaxAttempts = 3;
    private const string ComposeReminder = "compose", RetentionReminder = "retention";
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);
    /// <summary>How soon a purge that could not reach the files' node tries again.</summary>
    public static readonly TimeSpan PurgeRetry = TimeSpan.FromMinutes(10);
    private Task? _composition;
    private CancellationTokenSource? _stopComposition;
    private static readonly TimeSpan KeepAliveTick = TimeSpan.FromMinutes(1);

    private string Tenant => TenantKey.TenantOf(this.GetPrimaryKeyString());

    public async Task Begin(RecordingRequest request)
    {
        if (state.State.Exists) return;
        state.State = new Recording
        {
            Id = Guid.NewGuid(),
            CallId = TenantKey.IdOf(this.GetPrimaryKeyString()),
            CaptureDirectory = request.CaptureDirectory,
            OutputPath = request.OutputPath,
            RetentionDays = request.RetentionDays,
            NodeUrl = request.NodeUrl,
            HolderNode = request.HolderNode,
        };
        await Save();
        // The reminder retries composition after a crash or a failed attempt; the first attempt starts now.
        await this.RegisterOrUpdateReminder(ComposeReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        _composition = Compose();
    }

    public Task<Recording?> Get() => Task.FromResult(state.State.Exists ? state.State : null);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var recording = state.State;
        if (reminderName == ComposeReminder)
        {
            if (recording.Status != RecordingStatus.Processing) await Forget(ComposeReminder);
            else if (_composition is null || _composition.IsCompleted) _composition = Compose();
            else await MoveIfASlotIsFreeElsewhere();
        }
        else if (reminderName == RetentionReminder && recording.Status is RecordingStatus.Ready or RecordingStatus.Failed && recording.ExpiresAt <= DateTime.UtcNow)
            await Purge();
        else if (reminderName == TranscribeReminder) await TranscriptionReminder();
    }

    /// <summary>
    /// One composition attempt: it waits for one of the node's <see cref="CompositionSlots"/> first (the recording stays
    /// <c>processing</c>, its place in the queue on /api/operator/work), and only a composer that ran and failed spends an
    /// attempt; the composer's time limit starts with FFmpeg. While it waits or runs, a timer keeps the activation alive
    /// (an idle grain would otherwise be collected under it); a deactivation stops it without spending the attempt.
    /// </summary>
    private async Task Compose()
    {
        var job = this.GetPrimaryKeyString();
        if (!CanWorkHere()) return;
        if (_stopComposition is null || _stopComposition.IsCancellationRequested) _stopComposition = new CancellationTokenSource();
        var stop = _stopComposition.Token;
        using var keepAlive = this.RegisterGrainTimer(() => Task.CompletedTask,
            new GrainTimerCreationOptions(KeepAliveTick, KeepAliveTick) { KeepAlive = true, Interleave = true });
        IDisposable? slot = null;
        try
        {
            if (ServiceProvider.GetService<CompositionSlots>() is { } slots)
            {
                var entering = slots.EnterAsync(job, stop);
                if (!entering.IsCompleted)
                    logger.LogInformation("Recording of {Call} waits for a composition slot, place {Place} of {Waiting}", job, slots.PlaceOf(job), slots.Waiting);
                slot = await entering;
            }
        }
        catch (OperationCanceledException) { return; }
        using var held = slot;
        if (state.State.Status != RecordingStatus.Processing) return;
        var recording = state.State;
        try
        {
            var composer = ServiceProvider.GetService<IRecordingComposer>() ?? throw new InvalidOperationException("this node has no recording composer");
            if (!Directory.Exists(recording.CaptureDirectory))
                throw new DirectoryNotFoundException($"the capture is not on this node ({recording.CaptureDirectory})");
            var (duration, size) = await composer.ComposeAsync(recording.CaptureDirectory, recording.OutputPath, stop);
            var transcription = await TranscriptionToRequest();
            var created = Clock.Now();
            state.State = state.State with
            {
                Status = RecordingStatus.Ready,
                DurationSeconds = duration,
                FileSize = size,
                Attempts = recording.Attempts + 1,
                FailureReason = null,
                CreatedAt = created,
                ExpiresAt = recording.RetentionDays is { } days ? created.AddDays(days) : null,
                Transcription = transcription,
                ComposedBy = ThisNode,
            };
            await Save(RecordingWebhookEvents.Recording(WebhookEvents.RecordingReady, state.State));
            await Forget(ComposeReminder);
            if (state.State.ExpiresAt is { } expiry) await ScheduleRetention(expiry);
            logger.LogInformation("Recording of {Call} ready: {Duration} s, {Size} bytes", this.GetPrimaryKeyString(), duration, size);
            if (transcription is not null) ScheduleAttempt(TimeSpan.Zero); // the transcription starts on its own turn
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The node is stopping or the grain going: this attempt does not count, the reminder starts it again.
            logger.LogInformation("Composition of {Call} stopped before it finished; it starts again later", job);
        }
        catch (Exception e)
        {
            var attempts = recording.Attempts + 1;
            var failed = attempts >= MaxAttempts;
            logger.LogWarning(e, "Composition {Attempt}/{Max} of {Call} failed", attempts, MaxAttempts, this.GetPrimaryKeyString());
            // A capture that never became a recording is kept for the plan's retention too, then purged like one.
            var expiry = failed && recording.RetentionDays is { } days ? Clock.Now().AddDays(days) : (DateTime?)null;
            state.State = state.State with
            {
                Attempts = attempts,
                FailureReason = e.Message,
                Status = failed ? RecordingStatus.Failed : RecordingStatus.Processing,
                ExpiresAt = expiry ?? state.State.ExpiresAt,
            };
            await Save(failed ? RecordingWebhookEvents.Recording(WebhookEvents.RecordingFailed, state.State) : null);
            if (failed) await Forget(ComposeReminder);
            if (expiry is { } due) await ScheduleRetention(due);
        }
    }

    private string ThisNode => ServiceProvider.GetRequiredService<ILocalSiloDetails>().SiloAddress.Endpoint.ToString();

    /// <summary>
    /// Whether this recording's jobs can run on this node. Not on a node without the jobs role (only there when no jobs
    /// node was in the cluster): the job waits, spending nothing, and the grain asks to be placed again, which takes it
    /// to a jobs node once one is in. Not, under a root of each node's own, on another node than the one whose disk
    /// holds the capture while that one is in the cluster (the same path may well exist here, on another disk): the
    /// grain moves there. Either way nothing is spent and the reminder tries again. With the holder gone, the job runs
    /// here, as it did before nodes had roles.
    /// </summary>
    private bool CanWorkHere()
    {
        var work = ServiceProvider.GetService<ClusterWork>();
        if (!(ServiceProvider.GetService<NodeRoles>() ?? NodeRoles.Both).Jobs)
        {
            logger.LogInformation("Recording of {Call} waits for a node with the jobs role; this node is {Roles}",
                this.GetPrimaryKeyString(), ServiceProvider.GetService<NodeRoles>());
            this.MigrateOnIdle();
            return false;
        }
        var recording = state.State;
        if (ServiceProvider.GetService<RecordingOptions>() is { Shared: true } || work is null
            || recording.HolderNode is not { } holder || holder == ThisNode || work.ActiveSilo(holder) is not { } holderSilo)
            return true;
        logger.LogInformation("Recording of {Call} moves to {Holder}, whose own disk holds its capture", this.GetPrimaryKeyString(), holder);
        RequestContext.Set(IPlacementDirector.PlacementHintKey, holderSilo);
        try { this.MigrateOnIdle(); }
        finally { RequestContext.Remove(IPlacementDirector.PlacementHintKey); }
        return false;
    }

    /// <summary>
    /// Waiting is cluster-wide: a composition still waiting for this node's slot, under a shared root, moves (without
    /// spending an attempt) when another jobs node has a slot free and nobody waiting for it.
    /// </summary>
    private async Task MoveIfASlotIsFreeElsewhere()
    {
        if (ServiceProvider.GetService<RecordingOptions>() is not { Shared: true }
            || ServiceProvider.GetService<CompositionSlots>()?.PlaceOf(this.GetPrimaryKeyString()) is not > 0
            || ServiceProvider.GetService<ClusterWork>() is not { } work || !await work.CompositionSlotFreeElsewhere())
            return;
        logger.LogInformation("Recording of {Call} leaves this node's composition queue for a node with a free slot", this.GetPrimaryKeyString());
        _stopComposition?.Cancel();
        this.MigrateOnIdle();
    }

    private async Task ScheduleRetention(DateTime expiry)
    {
        var due = expiry - DateTime.UtcNow;
        await this.RegisterOrUpdateReminder(RetentionReminder, due < LongestWait ? (due > TimeSpan.Zero ? due : TimeSpan.FromSeconds(1)) : LongestWait, LongestWait);
    }

    /// <summary>
    /// Retention is the only way a recording (or the capture of a failed one) disappears, and every purge is audited.
    /// The files go on the node that holds them; until that node says they are gone the recording is not expired.
    /// </summary>
    private async Task Purge()
    {
        // The job's outcome is saved before the files and the transcript rows go, never after them.
        await StopTranscriptionAndWait();
        var recording = state.State;
        var purge = await RecordingFiles.PurgeAsync(ServiceProvider, GrainFactory, recording.HolderNode, [recording.OutputPath, recording.CaptureDirectory], logger);
        if (!purge.Done)
        {
            logger.LogWarning("Purge of the recording of {Call} is pending: {Why}", this.GetPrimaryKeyString(), purge.PendingBecause);
            if (recording.PurgePending != purge.PendingBecause)
            {
                state.State = recording with { PurgePending = purge.PendingBecause };
                await state.WriteStateAsync();
            }
            await this.RegisterOrUpdateReminder(RetentionReminder, PurgeRetry, PurgeRetry);
            return;
        }
        // Audited before the recording shows expired: should anything below fail, the next attempt finds the files gone
        // and audits again, rather than an expired recording without its purge in the trail.
        await rows.AuditAsync(new RecordingAccess(Tenant, recording.CallId, RecordingAuditActions.Purge)
        {
            Detail = $"retention of {recording.RetentionDays} days ended {recording.ExpiresAt:O}",
        });
        state.State = recording with { Status = RecordingStatus.Expired, Transcription = null, PurgePending = null };
        await ServiceProvider.GetRequiredService<TranscriptRows>().DeleteAsync(Tenant, recording.CallId);
        await Save();
        await Forget(RetentionReminder);
        logger.LogInformation("Recording of {Call} purged by retention", this.GetPrimaryKeyString());
    }

    /// <summary>The read model (with the change's webhook event in its transaction), then the grain's state.</summary>
    private async Task Save(WebhookEvent? change = null)
    {
        await rows.UpsertAsync(Tenant, state.State, change is null ? null : [change]);
        if (state.State.Transcription is { } transcription)
            await ServiceProvider.GetRequiredService<TranscriptRows>().UpsertAsync(Tenant, state.State.CallId, transcription);
        await calls.SetRecordingStatusAsync(Tenant, state.State.CallId, state.State.Status);
        await state.WriteStateAsync();
        // One-way: the call grain may be the one waiting on Begin.
        _ = GrainFactory.GetGrain<ICallGrain>(this.GetPrimaryKeyString()).RecordingChanged(state.State.Status);
    }

    private async Task Forget(string name)
    {
        if (await this.GetReminder(name) is { } reminder) await this.UnregisterReminder(reminder);
    }
}
