using Microsoft.Extensions.DependencyInjection;
using Voki.Grains.Model;
using Voki.Media.Recording;
using Voki.Media.Sfu;

namespace Voki.Grains.Grains;

/// <summary>Where recordings live on this node and how other nodes reach its files (section "Recordings").</summary>
public sealed class RecordingOptions
{
    /// <summary>Root directory for captures and finished WebMs: local disk, or a mount shared by the nodes.</summary>
    public string Root { get; set; } = "";
    /// <summary>This node's HTTP base as the other nodes reach it, for proxied downloads.</summary>
    public string? NodeUrl { get; set; }
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

    public Task Muted(string participantId, string kind, bool muted)
    {
        Timeline(new TimelineEvent { Type = "mute", Participant = participantId, Kind = kind, Muted = muted });
        return Task.CompletedTask;
    }

    /// <summary>Captures the call when the company turned recording on and its plan allows it.</summary>
    private async Task CaptureIfRecorded(SfuSession session)
    {
        if (session.Capture is not null || ServiceProvider.GetService<RecordingOptions>() is not { Root.Length: > 0 } options) return;
        var company = await GrainFactory.GetGrain<ICompanyGrain>(TenantKey.ForCompany(Tenant)).Get();
        if (company is not { RecordingEnabled: true } || !plans[company.Plan].Recording) return;
        session.StartCapture(CaptureDirectory(options));
        if (state.State.Captured) return;
        state.State = state.State with { Captured = true };
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
        });
    }

    private string CallDirectory(RecordingOptions options) => Path.Combine(options.Root, Tenant, state.State.Id.ToString());

    private void Timeline(TimelineEvent e) => _media?.Capture?.Write(e);
}
