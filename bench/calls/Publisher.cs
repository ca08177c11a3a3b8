using System.Diagnostics;
using Voki.Media.Client;
using Voki.Tests.Recording;

namespace Voki.Bench.Calls;

/// <summary>
/// One participant's client-mode peer: what it sent (video frames) and what it received from the other party (video
/// frames, counted by RTP timestamp: every packet of a frame carries the frame's).
/// </summary>
public sealed class Leg
{
    private long _framesSent, _framesReceived;
    private uint _lastVideoTimestamp;
    private bool _anyVideo;

    public Leg(SyntheticPeer peer)
    {
        Peer = peer;
        peer.PacketReceived += Count;
    }

    public SyntheticPeer Peer { get; }
    public long FramesSent => Interlocked.Read(ref _framesSent);
    public long FramesReceived => Interlocked.Read(ref _framesReceived);
    public volatile bool Publishing;

    public void Sent() => Interlocked.Increment(ref _framesSent);

    private void Count(ReceivedPacket packet)
    {
        if (packet.PayloadType != SyntheticPeer.Vp8PayloadType || packet.Retransmitted) return;
        if (_anyVideo && packet.Timestamp == _lastVideoTimestamp) return;
        _anyVideo = true;
        _lastVideoTimestamp = packet.Timestamp;
        Interlocked.Increment(ref _framesReceived);
    }
}

/// <summary>
/// Sends the clip, looped, in real time from every publishing leg: Opus every 20 ms and VP8 at 30 fps, timestamps
/// running on across the loops (one loop for all legs: a task per peer would cost the generator more than the peers).
/// A leg starts wherever the clip is; the clip's keyframe every second lets its subscriber start within one.
/// </summary>
public sealed class Publisher(EncodedClip clip, IReadOnlyList<Leg> legs)
{
    public async Task RunAsync(CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        long audio = 0, video = 0;
        while (!stop.IsCancellationRequested)
        {
            var now = clock.Elapsed.TotalSeconds;
            for (; audio * 0.020 <= now; audio++)
            {
                var packet = clip.OpusPackets[(int)(audio % clip.OpusPackets.Count)];
                foreach (var leg in legs)
                    if (leg.Publishing) leg.Peer.Send(video: false, packet, unchecked((uint)(audio * 960)), marker: false);
            }
            for (; video / (double)EncodedClip.FramesPerSecond <= now; video++)
            {
                var frame = clip.VideoFrames[(int)(video % clip.VideoFrames.Count)];
                var timestamp = unchecked((uint)(video * 90000 / EncodedClip.FramesPerSecond));
                foreach (var leg in legs)
                {
                    if (!leg.Publishing) continue;
                    for (int k = 0; k < frame.Length; k++) leg.Peer.Send(video: true, frame[k], timestamp, marker: k == frame.Length - 1);
                    leg.Sent();
                }
            }
            try { await Task.Delay(5, stop); } catch (OperationCanceledException) { }
        }
    }
}
