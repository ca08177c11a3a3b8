using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Model;
using Voki.Grains.ReadModel;
using Voki.Media.Recording;
using Voki.Media.Sfu;

namespace Voki.Grains.Grains;

/// <summary>Where recordings live on this node and how other nodes reach its files (section "Recordings").</summary>
public sealed class RecordingOptions
{
    /// <summary>Root directory for captures and finished WebMs: local disk, or a mount shared by the nodes.</summary>
    public string Root { get; set; } = "";
    /// <summary>
    /// True when <see cref="Root"/> is one directory every node sees (an NFS or CephFS mount, the same path on each):
    /// then a recording is composed and transcribed on whichever jobs node has room, reading the capture another node
    /// wrote. False (the default): each node composes the captures on its own disk. Set alike on every node.
    /// </summary>
    public bool Shared { get; set; }
    /// <summary>This node's HTTP base as the other nodes reach it, for proxied downloads.</summary>
    public string? NodeUrl { get; set; }
    /// <summary>
    /// Lines the call grain writes to one capture's timeline (joins, leaves, mutes); past it, mute toggles are no
    /// longer recorded, so a client toggling forever cannot grow the file or the composition's work.
    /// </summary>
    public int MaxTimelineLines { get; set; } = 1000;
    /// <summary>
    /// Compositions (FFmpeg) that run at once on this node; the others wait, still <c>processing</c>. 0 (the default):
    /// half the cores, at least one, while the node carries live calls, and all its cores while it carries none (a jobs
    /// node, or a media node once a burst of calls has ended). A composition keeps one core busy (libvpx with one thread,
    /// FFmpeg's decoders and filters bounded to the same), so half the cores leaves the other half to live media and
    /// transcription however many calls end together, and a core no call needs composes. A call that starts while more
    /// run lets them finish: no new one starts until they are back within half. A value above 0 is fixed.
    /// </summary>
    public int CompositionSlots { get; set; }

    /// <summary>The compositions this node starts now: <see cref="CompositionSlots"/>, or the room its live calls leave.</summary>
    public int CompositionSlotsFor(bool liveCalls, int cores) =>
        CompositionSlots > 0 ? CompositionSlots : Math.Max(1, liveCalls ? cores / 2 : cores);
}

/// <summary>The call's side of recording: capture while the media runs, hand over to the RecordingGrain at completion.</summary>
public sealed partial class CallGrain
{
    public async Task RecordingChanged(string recordingStatus)
    {
        if (!state.State.Exists || state.State.RecordingStatus == recordingStatus) return;
        // The recording grain already wrote the read model; this keeps the grain's own copy in step.
        state.State = state.State with { RecordingStatus = recordingStatus, HasRecording = true };
        await state.WriteStateAsync();
    }

    private const string CaptureRetentionReminder = "capture-retention";
    public const string TimelineFullMarker = "timeline_full";
    private static readonly TimeSpan LongestReminderWait = TimeSpan.FromDays(1);
    private int _timelineLines;
    private bool _timelineFull;

    public Task Muted(string participantId, string kind, bool muted)
    {
        if (_media?.Capture is null) return Task.CompletedTask;
        var limit = ServiceProvider.GetService<RecordingOptions>()?.MaxTimelineLines ?? new RecordingOptions().MaxTimelineLines;
        if (_timelineLines >= limit)
        {
            if (!_timelineFull) _media.Capture.Write(new TimelineEvent { Type = TimelineFullMarker, Participant = participantId });
            _timelineFull = true;
            return Task.CompletedTask;
        }
        Timeline(new TimelineEvent { Type = "mute", Participant = participantId, Kind = kind, Muted = muted });
        return Task.CompletedTask;
    }

    /// <summary>
    /// A missed or cancelled call leaves no recording, but its capture would stay on disk forever: it goes now when
    /// nothing was captured (the call was never assigned, or no track ever arrived), else at the plan's retention.
    /// </summary>
    private async Task ExpireCapture(Call before)
    {
        if (ServiceProvider.GetService<RecordingOptions>() is not { Root.Length: > 0 } options) return;
        var directory = CaptureDirectory(options);
        var visibleHere = Directory.Exists(directory);
        if (!state.State.Captured && !visibleHere) return;
        // A capture on another node's disk cannot be looked into from here: it is kept for the retention, to be safe.
        if (before.UserId is null || (visibleHere && !CapturedAnyTrack(directory)))
        {
            if (!await PurgeCapture(directory, $"the call was {state.State.Status} before any media was captured"))
                await ScheduleCapturePurge(Clock.Now(), RecordingGrain.PurgeRetry);
            return;
        }
        var company = await GrainFactory.GetGrain<ICompanyGrain>(TenantKey.ForCompany(Tenant)).Get();
        if (plans[company?.Plan ?? "free"].RetentionDays is not { } days) return;
        await ScheduleCapturePurge(Clock.Now().AddDays(days), LongestReminderWait);
    }

    private async Task ScheduleCapturePurge(DateTime expiry, TimeSpan period)
    {
        state.State = state.State with { CaptureExpiresAt = expiry };
        await state.WriteStateAsync();
        var due = expiry - DateTime.UtcNow;
        await this.RegisterOrUpdateReminder(CaptureRetentionReminder, due < period ? (due > TimeSpan.Zero ? due : TimeSpan.FromSeconds(1)) : period, period);
    }

    private static bool CapturedAnyTrack(string directory)
    {
        try { return TimelineEvent.Read(directory).Any(e => e.Type == "track"); }
        catch (IOException) { return false; }
    }

    private async Task CaptureRetentionDue()
    {
        if (state.State.CaptureExpiresAt is { } expiry && expiry > DateTime.UtcNow) return;
        if (ServiceProvider.GetService<RecordingOptions>() is { Root.Length: > 0 } options
            && !await PurgeCapture(CaptureDirectory(options), $"retention ended {state.State.CaptureExpiresAt:O}, the call was {state.State.Status}"))
        {
            await this.RegisterOrUpdateReminder(CaptureRetentionReminder, RecordingGrain.PurgeRetry, RecordingGrain.PurgeRetry);
            return;
        }
        state.State = state.State with { CaptureExpiresAt = null };
        await state.WriteStateAsync();
        if (await this.GetReminder(CaptureRetentionReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    /// <summary>Like a recording's purge: the files go where they are, and the purge is audited and logged; false while pending.</summary>
    private async Task<bool> PurgeCapture(string directory, string why)
    {
        var purge = await RecordingFiles.PurgeAsync(ServiceProvider, GrainFactory, state.State.CaptureHolder, [directory], logger);
        if (!purge.Done)
        {
            logger.LogWarning("Purge of the capture of {Call} is pending: {Why}", this.GetPrimaryKeyString(), purge.PendingBecause);
            return false;
        }
        await ServiceProvider.GetRequiredService<RecordingRows>().AuditAsync(new RecordingAccess(Tenant, state.State.Id, RecordingAuditActions.Purge)
        {
            Detail = $"capture of a {state.State.Status} call: {why}",
        });
        logger.LogInformation("Capture of {Call} purged: {Why}", this.GetPrimaryKeyString(), why);
        return true;
    }

    /// <summary>Captures the call when the company turned recording on and its plan allows it.</summary>
    private async Task CaptureIfRecorded(SfuSession session)
    {
        if (session.Capture is not null || ServiceProvider.GetService<RecordingOptions>() is not { Root.Length: > 0 } options) return;
        var company = await GrainFactory.GetGrain<ICompanyGrain>(TenantKey.ForCompany(Tenant)).Get();
        if (company is not { RecordingEnabled: true } || !plans[company.Plan].Recording) return;
        session.StartCapture(CaptureDirectory(options));
        var here = ThisNode;
        if (state.State.Captured && state.State.CaptureHolder == here) return;
        state.State = state.State with { Captured = true, CaptureHolder = here };
        await state.WriteStateAsync();
    }

    /// <summary>
    /// The capture to hand over at completion: the live one, or, when this activation has no media (the node that
    /// ran it died and the grain came back here), what that node wrote under the recordings root shared by the nodes.
    /// </summary>
    private string? CaptureToHandOver() =>
        _media?.Capture?.Directory
        ?? (state.State.Captured && ServiceProvider.GetService<RecordingOptions>() is { Root.Length: > 0 } options ? CaptureDirectory(options) : null);

    private string CaptureDirectory(RecordingOptions options) => Path.Combine(CallDirectory(options), "capture");

    private async Task HandOverRecording(string captureDirectory)
    {
        var options = ServiceProvider.GetRequiredService<RecordingOptions>();
        var company = await GrainFactory.GetGrain<ICompanyGrain>(TenantKey.ForCompany(Tenant)).Get();
        await GrainFactory.GetGrain<IRecordingGrain>(this.GetPrimaryKeyString()).Begin(new RecordingRequest
        {
            CaptureDirectory = captureDirectory,
            OutputPath = Path.Combine(CallDirectory(options), "recording.webm"),
            RetentionDays = plans[company?.Plan ?? "free"].RetentionDays,
            NodeUrl = options.NodeUrl,
            // The live capture is on this node's disk; a dead node's is read from the shared root, and its WebM written here.
            HolderNode = _media?.Capture is not null ? ThisNode : state.State.CaptureHolder,
        });
    }

    private string ThisNode => ServiceProvider.GetRequiredService<Orleans.Runtime.ILocalSiloDetails>().SiloAddress.Endpoint.ToString();

    private string CallDirectory(RecordingOptions options) => Path.Combine(options.Root, Tenant, state.State.Id.ToString());

    private void Timeline(TimelineEvent e)
    {
        if (_media?.Capture is not { } capture) return;
        capture.Write(e);
        _timelineLines++;
    }
}
