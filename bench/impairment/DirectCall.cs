using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Voki.Tests.Browser;
using Voki.Tests.Impairment;

namespace Voki.Bench.Impairment;

/// <summary>
/// The same two browsers without Voki: a plain RTCPeerConnection in each of two pages, with the same camera and the
/// same constraints as the product's pages, signalled by the benchmark (offer and answer handed over once ICE gathering
/// completes). Only IPv4 UDP host candidates are kept, so the pair meets on 127.0.0.1 where the impairment's rules match.
/// </summary>
public sealed partial class DirectCall : IAsyncDisposable
{
    private const string Script = """
        window.pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
        pc.ontrack = (e) => {
          let video = document.querySelector("video");
          if (!video) { video = document.createElement("video"); video.autoplay = true; video.muted = true; video.playsInline = true; document.body.append(video); }
          video.srcObject = e.streams[0] ?? new MediaStream([e.track]);
        };
        const gathered = () => new Promise((resolve) => {
          if (pc.iceGatheringState === "complete") return resolve();
          pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && resolve());
        });
        window.start = async () => {
          const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: { ideal: 640 }, height: { ideal: 480 } } });
          stream.getTracks().forEach((t) => pc.addTrack(t, stream));
        };
        window.offer = async () => { await pc.setLocalDescription(); await gathered(); return pc.localDescription.sdp; };
        window.answer = async (sdp) => {
          await pc.setRemoteDescription({ type: "offer", sdp });
          await pc.setLocalDescription(); await gathered(); return pc.localDescription.sdp;
        };
        window.accept = (sdp) => pc.setRemoteDescription({ type: "answer", sdp });
        """;

    public required IPage Offerer { get; init; }
    public required IPage Answerer { get; init; }

    public static async Task<DirectCall> Connect(Chromium chromium)
    {
        var html = $"<!doctype html><html><body><script>\n{Script}\n</script></body></html>";
        var call = new DirectCall { Offerer = await chromium.PageAsync(html), Answerer = await chromium.PageAsync(html) };
        await call.Offerer.EvaluateAsync("() => window.start()");
        await call.Answerer.EvaluateAsync("() => window.start()");
        var offer = Loopback(await call.Offerer.EvaluateAsync<string>("() => window.offer()"));
        var answer = Loopback(await call.Answerer.EvaluateAsync<string>("sdp => window.answer(sdp)", offer));
        await call.Offerer.EvaluateAsync("sdp => window.accept(sdp)", answer);
        return call;
    }

    public static async Task<VideoStatsSample> Sample(IPage page) =>
        VideoStatsSample.Parse(await page.EvaluateAsync<JsonElement>(VideoStatsSample.Of("window.pc")));

    private static string Loopback(string sdp) =>
        string.Join("\r\n", sdp.Split("\r\n").Where(line => !line.StartsWith("a=candidate:", StringComparison.Ordinal) || Ipv4Udp().IsMatch(line)));

    [GeneratedRegex(@"^a=candidate:\S+ \d+ udp \d+ \d+\.\d+\.\d+\.\d+ ", RegexOptions.IgnoreCase)]
    private static partial Regex Ipv4Udp();

    public async ValueTask DisposeAsync()
    {
        await Offerer.Context.CloseAsync();
        await Answerer.Context.CloseAsync();
    }
}
