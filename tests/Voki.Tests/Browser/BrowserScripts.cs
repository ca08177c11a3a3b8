namespace Voki.Tests.Browser;

/// <summary>The page script every browser test peer shares: one RTCPeerConnection, remote tracks attached, inbound stats.</summary>
public static class BrowserScripts
{
    public const string PeerConnection = """
        window.pc = new RTCPeerConnection();
        pc.ontrack = e => {
          const el = document.createElement(e.track.kind === 'video' ? 'video' : 'audio');
          el.autoplay = true; el.muted = true; el.playsInline = true;
          el.srcObject = new MediaStream([e.track]);
          document.getElementById('remote').appendChild(el);
        };
        window.localMedia = async () => {
          const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
          stream.getTracks().forEach(t => pc.addTrack(t, stream));
        };
        window.inbound = async () => {
          const out = { video: 0, audio: 0, streams: 0 };
          (await pc.getStats()).forEach(r => {
            if (r.type !== 'inbound-rtp') return;
            out.streams++;
            if (r.kind === 'video') out.video += r.framesDecoded || 0;
            if (r.kind === 'audio') out.audio += r.packetsReceived || 0;
          });
          out.state = pc.connectionState;
          return out;
        };
        window.outgoingEstimate = async () => {
          let estimate = 0;
          (await pc.getStats()).forEach(r => {
            if (r.type === 'candidate-pair' && r.nominated && r.availableOutgoingBitrate) estimate = Math.max(estimate, r.availableOutgoingBitrate);
          });
          return estimate;
        };
        """;

    public static string Page(string script) =>
        $"<!doctype html><html><body><div id=\"remote\"></div><script>\n{PeerConnection}\n{script}\n</script></body></html>";
}
