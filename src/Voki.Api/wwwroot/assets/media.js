// WebRTC for the pages: the local camera/microphone, the peer connection to the SFU, and the remote videos.
// Signalling follows reference §3.3: the browser offers (signal {type:"offer"}), the SFU answers with
// signal {type:"answer"}, and may itself offer when tracks come and go; the browser is the polite side.
import { push } from "./realtime.js";
import { $, announce, showAlert } from "./ui.js";

export class LocalMedia {
  stream = null;

  /** Camera and microphone; falls back to the microphone alone; throws when neither is allowed. */
  async start() {
    if (this.stream) return this.stream;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: { ideal: 640 }, height: { ideal: 480 } } });
    } catch (first) {
      try {
        this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch {
        throw first;
      }
    }
    return this.stream;
  }

  attach(video) {
    video.muted = true;
    video.srcObject = this.stream;
    video.hidden = !this.has("video");
  }

  detach(video) {
    video.srcObject = null;
    video.hidden = true;
  }

  has(kind) {
    return !!this.stream?.getTracks().some((t) => t.kind === kind);
  }

  enabled(kind) {
    return !!this.stream?.getTracks().some((t) => t.kind === kind && t.enabled);
  }

  setEnabled(kind, enabled) {
    for (const track of this.stream?.getTracks() ?? []) if (track.kind === kind) track.enabled = enabled;
  }

  stop() {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
  }
}

/**
 * The camera's simulcast layers, lowest first as the SFU takes them. Chromium sends at most two layers of a camera
 * below 960x540 (libwebrtc's simulcast layer limit drops the top ones), so a 640x480 camera gets half and full
 * resolution, a larger one a quarter, half and full.
 */
export function simulcastLayers(track) {
  const width = track.getSettings?.().width ?? 640;
  if (width >= 960) {
    return [
      { rid: "q", scaleResolutionDownBy: 4, maxBitrate: 150_000 },
      { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 500_000 },
      { rid: "f", scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
    ];
  }
  return [
    { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 250_000 },
    { rid: "f", scaleResolutionDownBy: 1, maxBitrate: 700_000 },
  ];
}

export class MediaSession {
  /**
   * @param channel a joined call:{id} channel
   * @param options {localStream, iceServers, onTrack(stream, track), onState(connectionState), onFailure(reason),
   *   beforeOffer() (awaited before each of our offers: a supervisor joins the call's media with it)}
   */
  constructor(channel, options) {
    this.channel = channel;
    this.options = options;
    this.queue = Promise.resolve();
    this.closed = false;
    this.bindings = [];
    this.offers = 0; // offers sent, for tests
    this.halted = false;
    this.retries = 0;
  }

  start() {
    const { localStream, iceServers = [] } = this.options;
    const pc = (this.pc = new RTCPeerConnection({ iceServers, bundlePolicy: "max-bundle" }));
    for (const track of localStream?.getAudioTracks() ?? []) pc.addTrack(track, localStream);
    // The camera goes out as simulcast (RFC 8853): the SFU gives each participant the layer its link carries and
    // records the full one, so one thin link lowers nobody else's picture.
    for (const track of localStream?.getVideoTracks() ?? []) pc.addTransceiver(track, { streams: [localStream], sendEncodings: simulcastLayers(track) });
    if (!localStream?.getAudioTracks().length) pc.addTransceiver("audio", { direction: "recvonly" });
    if (!localStream?.getVideoTracks().length) pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (event) => this.options.onTrack?.(event.streams[0] ?? new MediaStream([event.track]), event.track);
    pc.onicecandidate = (event) => {
      if (!this.closed) this.channel.push("ice_candidate", event.candidate ? event.candidate.toJSON() : { candidate: null });
    };
    pc.onconnectionstatechange = () => this.options.onState?.(pc.connectionState);
    pc.onnegotiationneeded = () => this.serially(() => this.offer());
    this.bindings = [
      ["signal", this.channel.on("signal", (message) => this.serially(() => this.receive(message)))],
      ["ice_candidate", this.channel.on("ice_candidate", (candidate) => this.serially(() => this.addCandidate(candidate)))],
    ];
  }

  /**
   * Sends our offer; the answer arrives as a "signal" push. A refusal rolls the offer back (so an SFU
   * offer can still be taken) and halts our own offers, which the browser would otherwise repeat at
   * once: they resume after a growing delay, a few times, or when the user asks (restart).
   */
  async offer() {
    if (this.closed || this.halted) return;
    this.offers += 1;
    try {
      await this.options.beforeOffer?.();
      await this.pc.setLocalDescription();
      await push(this.channel, "signal", { type: "offer", sdp: this.pc.localDescription.sdp });
    } catch (error) {
      this.halted = true;
      if (!this.closed && this.pc.signalingState === "have-local-offer") await this.pc.setLocalDescription({ type: "rollback" }).catch(() => {});
      this.options.onFailure?.(error.message);
      this.retryLater();
    }
  }

  retryLater() {
    const delays = [3000, 10000, 30000];
    if (this.closed || this.retries >= delays.length) return;
    this.retryTimer = setTimeout(() => {
      this.halted = false;
      this.serially(() => this.offer());
    }, delays[this.retries++]);
  }

  async receive({ type, sdp }) {
    if (this.closed || (type !== "offer" && type !== "answer")) return;
    try {
      if (type === "answer" && this.pc.signalingState !== "have-local-offer") return; // an answer to an offer we rolled back
      await this.pc.setRemoteDescription({ type, sdp }); // an SFU offer rolls back ours: we are the polite peer
      if (type === "offer") {
        await this.pc.setLocalDescription();
        await push(this.channel, "signal", { type: "answer", sdp: this.pc.localDescription.sdp });
      }
      this.retries = 0;
      this.options.onNegotiated?.();
    } catch (error) {
      this.options.onFailure?.(error.message);
    }
  }

  async addCandidate(candidate) {
    if (this.closed || !candidate?.candidate) return;
    try { await this.pc.addIceCandidate(candidate); } catch { /* a candidate for a description we no longer have */ }
  }

  /**
   * What this connection receives and sends, from getStats: one entry per inbound-rtp and outbound-rtp
   * stream (codec as "name/payload type", packets, decoded or encoded frames, audio energy), the local
   * tracks being sent, and the connection state. Pages expose it
   * to automated tests as window.__voki.inboundStats().
   */
  async stats() {
    const out = { state: this.closed ? "closed" : this.pc.connectionState, inbound: [], outbound: [] };
    if (this.closed) return out;
    const report = await this.pc.getStats();
    const codec = (r) => {
      const c = r.codecId && report.get(r.codecId);
      return c ? `${c.mimeType.split("/")[1]}/${c.payloadType}` : null;
    };
    report.forEach((r) => {
      if (r.type === "inbound-rtp")
        out.inbound.push({ kind: r.kind, ssrc: r.ssrc, codec: codec(r), packets: r.packetsReceived ?? 0, frames: r.framesDecoded ?? 0, energy: r.totalAudioEnergy ?? 0 });
      else if (r.type === "outbound-rtp")
        out.outbound.push({ kind: r.kind, ssrc: r.ssrc, codec: codec(r), packets: r.packetsSent ?? 0, frames: r.framesEncoded ?? 0 });
    });
    out.senders = this.pc.getSenders().filter((s) => s.track).map((s) => ({ kind: s.track.kind, enabled: s.track.enabled, state: s.track.readyState }));
    return out;
  }

  /** Tells the others (mute event) and stops sending that kind. */
  setMuted(kind, muted) {
    this.options.localStream?.getTracks().forEach((t) => { if (t.kind === kind) t.enabled = !muted; });
    if (!this.closed) this.channel.push("mute", { type: kind, muted });
  }

  /** A fresh peer connection (after a refusal or a failed connection). */
  restart() {
    this.close();
    this.closed = false;
    this.halted = false;
    this.retries = 0;
    this.queue = Promise.resolve();
    this.start();
  }

  close() {
    this.closed = true;
    clearTimeout(this.retryTimer);
    for (const [event, ref] of this.bindings) this.channel.off(event, ref);
    this.bindings = [];
    this.pc?.close();
  }

  serially(step) {
    this.queue = this.queue.then(step, step);
    return this.queue;
  }
}

/** One <video> per remote stream, captioned with the participant's name when the stream id names them. */
export class RemoteVideos {
  constructor(container, empty) {
    this.container = container;
    this.empty = empty;
    this.names = new Map();
    this.muted = new Map(); // participant id -> {audio, video}
  }

  setName(id, name) {
    this.names.set(id, name);
    this.label(id);
  }

  /** A participant turned their microphone or camera off or on (mute event): the caption says so. */
  setMuted(id, kind, muted) {
    this.muted.set(id, { ...this.muted.get(id), [kind]: muted });
    this.label(id);
  }

  label(id) {
    const figure = this.container.querySelector(`[data-stream-id="${CSS.escape(id)}"]`);
    if (!figure) return;
    const name = this.names.get(id) ?? "Participant";
    const muted = this.muted.get(id) ?? {};
    figure.dataset.audioMuted = String(!!muted.audio);
    figure.dataset.videoMuted = String(!!muted.video);
    const caption = figure.querySelector("figcaption");
    caption.textContent = [name, muted.audio ? "microphone off" : null, muted.video ? "camera off" : null].filter(Boolean).join(" · ");
    figure.querySelector("video").setAttribute("aria-label", `Video of ${caption.textContent}`);
  }

  add(stream) {
    let figure = this.container.querySelector(`[data-stream-id="${CSS.escape(stream.id)}"]`);
    if (!figure) {
      figure = document.createElement("figure");
      figure.dataset.streamId = stream.id;
      figure.dataset.testid = "remote-video";
      const video = document.createElement("video");
      video.autoplay = true;
      video.playsInline = true;
      figure.append(video, document.createElement("figcaption"));
      this.container.append(figure);
      this.label(stream.id);
      stream.addEventListener("removetrack", () => { if (stream.getTracks().length === 0) this.remove(stream.id); });
    }
    const video = figure.querySelector("video");
    if (video.srcObject !== stream) video.srcObject = stream;
    this.update();
  }

  remove(id) {
    this.container.querySelector(`[data-stream-id="${CSS.escape(id)}"]`)?.remove();
    this.update();
  }

  clear() {
    for (const figure of this.container.querySelectorAll("figure")) figure.remove();
    this.update();
  }

  update() {
    if (this.empty) this.empty.hidden = this.container.querySelector("figure") !== null;
  }
}

/**
 * Starts the call's media as both pages show it: remote tracks into their videos, connection changes
 * announced, and the page's retry button offered when the media cannot start or the connection is lost.
 */
export function startCallMedia(channel, localStream, iceServers, remotes, beforeOffer) {
  const session = new MediaSession(channel, {
    localStream,
    iceServers,
    beforeOffer,
    onTrack: (stream) => remotes.add(stream),
    onState: (connection) => {
      if (connection === "connected") announce("Connected.");
      if (connection === "failed") {
        announce("The connection was lost.");
        $("media-retry").hidden = false;
      }
    },
    onNegotiated: () => {
      showAlert("");
      $("media-retry").hidden = true;
    },
    onFailure: (reason) => {
      showAlert(`Audio and video could not start: ${reason}`);
      $("media-retry").hidden = false;
    },
  });
  session.start();
  return session;
}
