using System.Collections.Concurrent;
using Voki.Media.Client;
using Voki.Media.Sfu;

namespace Voki.Tests.Media;

/// <summary>What client-mode peers publish in tests: 20 ms Opus-sized frames and small VP8 keyframes.</summary>
public static class SyntheticMedia
{
    /// <summary>
    /// Every peer sends audio every 20 ms and a one-packet VP8 keyframe every <paramref name="videoEvery"/> ticks; returns
    /// the video frames each peer sent.
    /// </summary>
    public static async Task<int> PublishAsync(IReadOnlyList<SyntheticPeer> peers, TimeSpan duration, int videoEvery = 2)
    {
        var keyframe = new byte[300];
        keyframe[0] = 0x10; // VP8 descriptor: start of partition 0; frame tag bit 0 = keyframe
        var audio = new byte[80];
        audio[0] = 0x78; // Opus TOC: CELT-only fullband 20 ms, one frame
        var end = DateTime.UtcNow + duration;
        // At least the packets the duration holds: on a loaded machine (the suite's browser tests beside these) a 20 ms
        // delay can take many times that, and one run sent 9 ticks' worth in 2 s.
        var ticks = (uint)(duration.TotalMilliseconds / 20);
        uint tick = 0;
        while (DateTime.UtcNow < end || tick < ticks)
        {
            foreach (var peer in peers)
            {
                peer.Send(video: false, audio, tick * 960, marker: false);
                if (tick % videoEvery == 0) peer.Send(video: true, keyframe, tick * 1800, marker: true);
            }
            tick++;
            await Task.Delay(20);
        }
        return (int)((tick + videoEvery - 1) / videoEvery);
    }

    /// <summary>
    /// Joins <paramref name="peer"/> to <paramref name="session"/> as <paramref name="participant"/>, answering the SFU's
    /// offers to it, and collects every packet it receives by (SSRC, sequence).
    /// </summary>
    public static async Task<ConcurrentDictionary<(uint, ushort), ReceivedPacket>> JoinAsync(SfuSession session, string participant, SyntheticPeer peer) =>
        (await MediaCallHarness.JoinAsync(session, participant, peer, TimeSpan.FromSeconds(10))).Got;
}
