using System.Diagnostics;
using System.Diagnostics.Metrics;
using Voki.Grains.Grains;
using Voki.Grains.Model;
using Voki.Media.Sfu;

namespace Voki.Api.Metrics;

/// <summary>
/// Voki's own instruments (meter "Voki"), for the operator of a node: calls and participants here, what the media
/// plane forwarded and dropped, composition and transcription load, webhook outcomes. No instrument carries a tenant,
/// a call, a user or a URL: tags are only kinds (a counter's name, an outcome, an event type).
/// The media plane keeps its own counters (<see cref="MediaCounters"/>); they are read when a scrape collects, never
/// copied on the media path.
/// </summary>
public sealed class VokiMetrics
{
    public const string MeterName = "Voki";

    private readonly Counter<long> _webhookDeliveries;
    private readonly Histogram<double> _webhookDuration;
    private readonly Histogram<double> _compositionDuration;
    private readonly Histogram<double> _transcriptionDuration;
    // Set with the media instruments; only the media plane's samples record into them.
    private Histogram<double> _participantLoss = null!, _participantJitter = null!, _participantBitrate = null!, _participantRoundTrip = null!;
    private int _compositionsRunning;
    private static readonly KeyValuePair<string, object?> Uplink = new("direction", "uplink"), Downlink = new("direction", "downlink");

    /// <param name="media">Null on a jobs-only node (Node:Roles): its media instruments are then not published.</param>
    public VokiMetrics(IMeterFactory meters, NodeCalls calls, CompositionSlots compositions, TranscriptionSlots transcriptions, MediaNode? media = null)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("voki.calls.active", () => calls.WithMedia, "{call}",
            "Calls whose media session is open on this node");
        if (media is not null) MediaInstruments(meter, media);

        meter.CreateObservableGauge("voki.compositions.running", () => Volatile.Read(ref _compositionsRunning), "{composition}",
            "Recordings being composed (FFmpeg) on this node");
        meter.CreateObservableGauge("voki.compositions.waiting", () => compositions.Waiting, "{composition}",
            "Recordings waiting for a composition slot on this node (the queue; they stay processing)");
        meter.CreateObservableGauge("voki.compositions.capacity", () => compositions.Capacity, "{composition}",
            "Compositions this node runs at once (Recordings:CompositionSlots)");
        _compositionDuration = meter.CreateHistogram<double>("voki.composition.duration", "s",
            "Time to compose one recording, by outcome");
        meter.CreateObservableGauge("voki.transcriptions.running", () => transcriptions.Running, "{job}",
            "Transcription jobs holding one of this node's slots");
        meter.CreateObservableGauge("voki.transcriptions.waiting", () => transcriptions.Waiting, "{job}",
            "Transcription jobs waiting for a slot on this node (the queue)");
        meter.CreateObservableGauge("voki.transcriptions.capacity", () => transcriptions.Capacity, "{job}",
            "Transcription jobs this node runs at once");
        _transcriptionDuration = meter.CreateHistogram<double>("voki.transcription.duration", "s",
            "Time to transcribe one call, by outcome");

        _webhookDeliveries = meter.CreateCounter<long>("voki.webhook.deliveries", "{attempt}",
            "Webhook delivery attempts by outcome (delivered, retrying, failed) and event");
        _webhookDuration = meter.CreateHistogram<double>("voki.webhook.delivery.duration", "s",
            "Time from sending a webhook to its answer (or timeout), by outcome");
    }

    private void MediaInstruments(Meter meter, MediaNode media)
    {
        var counters = media.Counters;
        meter.CreateObservableGauge("voki.participants.active", () => media.PeerCount, "{participant}",
            "Participants whose media transport this node holds, across its calls");
        meter.CreateObservableCounter("voki.media.packets.received", () => Volatile.Read(ref counters.PacketsReceived), "{packet}",
            "Authentic RTP packets received from publishers");
        meter.CreateObservableCounter("voki.media.packets.forwarded", () => Volatile.Read(ref counters.PacketsForwarded), "{packet}",
            "RTP packets forwarded to subscribers");
        meter.CreateObservableCounter("voki.media.forwarded", () => Volatile.Read(ref counters.BytesForwarded), "By",
            "RTP payload bytes forwarded to subscribers");
        meter.CreateObservableCounter("voki.media.received", () => Volatile.Read(ref counters.BytesReceived), "By",
            "RTP bytes received from publishers (header and payload, after SRTP; retransmissions included)");
        // Each connected participant's figures once a second, by direction only: which call or tenant is the call quality API's to say.
        _participantLoss = meter.CreateHistogram<double>("voki.media.participant.loss", "1",
            "Per participant and second: fraction of packets lost, uplink (as first sent) or downlink (its receiver reports)", advice: new InstrumentAdvice<double>
            { HistogramBucketBoundaries = [0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1] });
        _participantJitter = meter.CreateHistogram<double>("voki.media.participant.jitter", "s",
            "Per participant and second: RFC 3550 interarrival jitter, uplink (of what it publishes) or downlink (its receiver reports)", advice: new InstrumentAdvice<double>
            { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1] });
        _participantBitrate = meter.CreateHistogram<double>("voki.media.participant.bitrate", "bit/s",
            "Per participant and second: RTP bitrate received from it (uplink) or sent to it (downlink)", advice: new InstrumentAdvice<double>
            { HistogramBucketBoundaries = [16_000, 32_000, 64_000, 128_000, 256_000, 512_000, 1_000_000, 1_500_000, 2_000_000, 3_000_000, 5_000_000] });
        _participantRoundTrip = meter.CreateHistogram<double>("voki.media.participant.round_trip", "s",
            "Per participant and second: round-trip time from its receiver reports", advice: new InstrumentAdvice<double>
            { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 1, 2] });
        media.QualitySampled += Record;
        meter.CreateObservableCounter("voki.media.srtp.failures", () => new[]
        {
            new Measurement<long>(Volatile.Read(ref counters.SrtpAuthenticationFailures), new KeyValuePair<string, object?>("reason", "authentication")),
            new Measurement<long>(Volatile.Read(ref counters.SrtpReplays), new KeyValuePair<string, object?>("reason", "replay")),
            new Measurement<long>(Volatile.Read(ref counters.SrtpMalformed), new KeyValuePair<string, object?>("reason", "malformed")),
        }, "{packet}", "SRTP and SRTCP from participants' paths that was refused");
        meter.CreateObservableCounter("voki.media.nacks.sent", () => Volatile.Read(ref counters.NacksSent), "{message}",
            "Generic NACKs sent to publishers");
        meter.CreateObservableCounter("voki.media.packets.nacked", () => Volatile.Read(ref counters.PacketsNacked), "{packet}",
            "Packets asked of publishers again in NACKs");
        meter.CreateObservableCounter("voki.media.plis.sent", () => Volatile.Read(ref counters.KeyframeRequests), "{message}",
            "Keyframe requests (PLI) sent to publishers");
        meter.CreateObservableCounter("voki.media.retransmissions", () => Volatile.Read(ref counters.Retransmissions), "{packet}",
            "Packets resent to subscribers that asked for them");
        // Every counter of the media plane, the ones above included, so one the SFU adds shows here without a change.
        meter.CreateObservableCounter("voki.media.plane.events", () => counters.Snapshot()
                .Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>("counter", c.Key))),
            "{event}", "Every media plane counter by name (drops, failures, forwarding)");
    }

    private void Record(QualitySample sample)
    {
        if (sample.UplinkLoss is { } upLoss) _participantLoss.Record(upLoss, Uplink);
        if (sample.DownlinkLoss is { } downLoss) _participantLoss.Record(downLoss, Downlink);
        if (sample.UplinkJitterSeconds is { } upJitter) _participantJitter.Record(upJitter, Uplink);
        if (sample.DownlinkJitterSeconds is { } downJitter) _participantJitter.Record(downJitter, Downlink);
        _participantBitrate.Record(sample.UplinkBitrate, Uplink);
        _participantBitrate.Record(sample.DownlinkBitrate, Downlink);
        if (sample.RoundTripSeconds is { } roundTrip) _participantRoundTrip.Record(roundTrip);
    }

    /// <summary>One delivery attempt: "delivered", "retrying" (another attempt is scheduled) or "failed" (given up).</summary>
    public void WebhookAttempt(string outcome, string eventType, TimeSpan duration)
    {
        var tags = new TagList { { "outcome", outcome }, { "event", eventType } };
        _webhookDeliveries.Add(1, tags);
        _webhookDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));
    }

    public async Task<T> Composition<T>(Func<Task<T>> compose)
    {
        Interlocked.Increment(ref _compositionsRunning);
        var clock = Stopwatch.StartNew();
        var outcome = "failed";
        try
        {
            var result = await compose();
            outcome = "completed";
            return result;
        }
        finally
        {
            Interlocked.Decrement(ref _compositionsRunning);
            _compositionDuration.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    public async Task<T> Transcription<T>(Func<Task<T>> transcribe)
    {
        var clock = Stopwatch.StartNew();
        var outcome = "failed";
        try
        {
            var result = await transcribe();
            outcome = "completed";
            return result;
        }
        catch (OperationCanceledException)
        {
            outcome = "cancelled";
            throw;
        }
        finally
        {
            _transcriptionDuration.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }
}

/// <summary>The node's composer, timed and counted while it runs.</summary>
public sealed class MeteredRecordingComposer(IRecordingComposer inner, VokiMetrics metrics) : IRecordingComposer
{
    public Task<(int DurationSeconds, long FileSize)> ComposeAsync(string captureDirectory, string outputPath, CancellationToken cancellation) =>
        metrics.Composition(() => inner.ComposeAsync(captureDirectory, outputPath, cancellation));
}

/// <summary>The node's transcriber, timed by outcome.</summary>
public sealed class MeteredCallTranscriber(ICallTranscriber inner, VokiMetrics metrics) : ICallTranscriber
{
    public Task<CallTranscript> TranscribeAsync(string captureDirectory, string locale, Action<TranscriptionProgress> progress, CancellationToken cancellation,
        TranscriptionCheckpoint? checkpoint = null) =>
        metrics.Transcription(() => inner.TranscribeAsync(captureDirectory, locale, progress, cancellation, checkpoint));
}
