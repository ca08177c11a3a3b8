// The customer's page, /call/{token} (reference §3.4): validate the link, join the queue, wait with a
// camera preview while the position updates, then the call itself, and a rating once it is completed.
// The preview stays local until someone takes the call: media is negotiated from call_assigned on.
import { api, iceServers } from "./api.js";
import { $, showView, announce, showAlert, showFieldErrors, clearFieldErrors, describeWait, setPressed } from "./ui.js";
import { connect, join, record } from "./realtime.js";
import { LocalMedia, RemoteVideos, startCallMedia } from "./media.js";

const FINAL = ["completed", "missed", "cancelled"];
const linkToken = decodeURIComponent(location.pathname.split("/").filter(Boolean).at(-1) ?? "");
const storageKey = `voki:call:${linkToken}`;
const local = new LocalMedia();
const remotes = new RemoteVideos($("remote-videos"), $("remote-empty"));
const names = new Map();
/** phase: loading | join | waiting | call | ended */
const state = { phase: "loading", call: null, socket: null, channel: null, media: null, timer: null, events: [] };
window.voki = state; // for automated tests: the page's live state
// For automated tests and support: what the media connection receives, and the call channel's events.
window.__voki = { inboundStats: () => state.media?.stats() ?? Promise.resolve(null), events: state.events };

init();

async function init() {
  $("join-form").addEventListener("submit", onJoin);
  $("leave-queue").addEventListener("click", leaveQueue);
  $("hang-up").addEventListener("click", hangUp);
  $("rating-form").addEventListener("submit", onRate);
  $("devices-start").addEventListener("click", startDevices);
  $("toggle-mic").addEventListener("click", () => toggle("audio", $("toggle-mic")));
  $("toggle-camera").addEventListener("click", () => toggle("video", $("toggle-camera")));
  $("media-retry").addEventListener("click", () => {
    $("media-retry").hidden = true;
    showAlert("");
    state.media?.restart();
  });
  const saved = JSON.parse(sessionStorage.getItem(storageKey) ?? "null");
  if (saved && (await resume(saved))) return;
  await validate();
}

async function validate() {
  try {
    const { data } = await api("GET", `/api/v1/call/${encodeURIComponent(linkToken)}/validate`);
    brand(data);
    $("queue-size").textContent = String(data.queue_size);
    $("estimated-wait").textContent = describeWait(data.estimated_wait_time);
    $("online-agents").textContent = String(data.online_agents);
    $("join-name").value = data.customer_name ?? "";
    $("join-email").value = data.customer_email ?? "";
    $("join-phone").value = data.customer_phone ?? "";
    state.phase = "join";
    showView("join", { focus: false });
    $("devices").hidden = false;
    $("join-name").focus();
  } catch (error) {
    showView("invalid");
    if (error.status !== 404) showAlert(error.message);
  }
}

function brand(data) {
  if (data.company_name) $("company-name").textContent = data.company_name;
  if (data.department_name) {
    $("department-name").textContent = data.department_name;
    document.title = `${data.department_name} – video call`;
  }
  if (typeof data.company_logo_url === "string" && /^https:\/\//.test(data.company_logo_url)) {
    $("company-logo").src = data.company_logo_url;
    $("company-logo").alt = data.company_name ? `${data.company_name} logo` : "";
    $("company-logo").hidden = false;
  }
  if (typeof data.primary_color === "string" && /^#[0-9a-f]{3,8}$/i.test(data.primary_color))
    document.documentElement.style.setProperty("--primary", data.primary_color);
}

async function onJoin(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearFieldErrors(form);
  showAlert("");
  const text = (id) => $(id).value.trim();
  const body = { name: text("join-name"), email: text("join-email"), phone: text("join-phone") || undefined, reason: text("join-reason") || undefined };
  const errors = {};
  if (!body.name) errors.name = ["can't be blank"];
  if (!body.email) errors.email = ["can't be blank"];
  else if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(body.email)) errors.email = ["is invalid"];
  if (Object.keys(errors).length) {
    showFieldErrors(form, errors);
    return;
  }
  $("join-submit").disabled = true;
  announce("Joining the queue…");
  try {
    const { data } = await api("POST", `/api/v1/call/${encodeURIComponent(linkToken)}/join`, { body });
    state.call = { call_id: data.call_id, websocket_token: data.websocket_token, websocket_url: data.websocket_url };
    sessionStorage.setItem(storageKey, JSON.stringify(state.call));
    await enterQueue(data);
  } catch (error) {
    announce("");
    if (error.status === 422 && showFieldErrors(form, error.fields)) return;
    if (error.status === 404) showView("invalid");
    else showAlert(error.message);
  } finally {
    $("join-submit").disabled = false;
  }
}

/** After a reload: the link may be spent, but the call it created goes on. */
async function resume(saved) {
  try {
    const { data } = await api("GET", `/api/v1/call/status/${encodeURIComponent(saved.call_id)}`, { token: saved.websocket_token });
    state.call = saved;
    if (data.department_name) brand({ department_name: data.department_name });
    if (data.status === "queued") await enterQueue(data);
    else if (data.status === "active") {
      await openChannel();
      await startCall();
    } else ended(data.status);
    return true;
  } catch {
    sessionStorage.removeItem(storageKey);
    return false;
  }
}

async function enterQueue(data) {
  state.phase = "waiting";
  showView("waiting");
  $("devices").hidden = false;
  showPosition(data);
  announce(`You are number ${data.position} in the queue.`);
  poll(5000);
  await openChannel();
}

function showPosition(data) {
  if (data.position != null) $("queue-position").textContent = String(data.position);
  $("queue-wait").textContent = describeWait(data.estimated_wait_time);
  if (data.user_name) assigned(data.user_name);
}

function assigned(name) {
  $("assigned-to").textContent = `${name} will attend you.`;
  $("assigned-to").hidden = false;
}

/** Live events of call:{id}; the status poll covers the same ground if the socket is down. */
async function openChannel() {
  if (state.channel) return;
  state.socket = connect({ token: state.call.websocket_token }, state.call.websocket_url);
  const channel = (state.channel = state.socket.channel(`call:${state.call.call_id}`, {}));
  record(channel, state.events);
  channel.on("call_assigned", (p) => {
    names.set(p.user_id, p.user_name);
    remotes.setName(p.user_id, p.user_name);
    assigned(p.user_name);
    announce(`${p.user_name} will attend you.`);
    // Taken: now the SFU negotiates. An offer it refused before (the call was not assigned yet) is made again.
    if (state.media?.halted) state.media.restart();
    else startCall();
  });
  channel.on("call_started", (p) => {
    if (p.user_id && p.user_name) {
      names.set(p.user_id, p.user_name);
      remotes.setName(p.user_id, p.user_name);
    }
    startCall();
  });
  channel.on("participant_joined", (p) => {
    names.set(p.participant_id, p.name);
    remotes.setName(p.participant_id, p.name);
    if (p.role === "customer") return;
    announce(`${p.name} joined the call.`);
    if (p.role === "attendant") startCall(); // only the assignee may join as the attendant: the call is taken
  });
  channel.on("participant_left", (p) => { if (state.phase === "call") announce(`${p.name} left the call.`); });
  channel.on("mute", (p) => {
    remotes.setMuted(p.participant_id, p.type, p.muted);
    const what = p.type === "audio" ? "microphone" : "camera";
    announce(`${names.get(p.participant_id) ?? "The attendant"} turned their ${what} ${p.muted ? "off" : "on"}.`);
  });
  channel.on("call_ended", (p) => ended(p.status));
  try {
    const reply = await join(channel);
    if (reply.status === "active" || (reply.status === "queued" && reply.user_id)) await startCall();
    else if (FINAL.includes(reply.status)) ended(reply.status);
  } catch (error) {
    showAlert(`Live updates are unavailable (${error.message}). This page keeps checking your call.`);
  }
}

function poll(every) {
  clearInterval(state.timer);
  state.timer = setInterval(async () => {
    try {
      const { data } = await api("GET", `/api/v1/call/status/${encodeURIComponent(state.call.call_id)}`, { token: state.call.websocket_token });
      if (data.status === "queued" && state.phase === "waiting") {
        showPosition(data);
        if (data.user_name) await startCall(); // assigned while the socket was down
      } else if (data.status === "active" && state.phase === "waiting") await startCall();
      else if (FINAL.includes(data.status)) ended(data.status);
    } catch { /* the next tick tries again */ }
  }, every);
}

async function startDevices() {
  try {
    await local.start();
    local.attach($("local-video"));
    $("devices-start").hidden = true;
    $("toggle-mic").hidden = !local.has("audio");
    $("toggle-camera").hidden = !local.has("video");
    announce(local.has("video") ? "Your camera and microphone are on." : "Your microphone is on; no camera was found.");
    return true;
  } catch {
    showAlert("Your camera and microphone are blocked or missing. Allow them in your browser's site settings to be seen and heard.");
    return false;
  }
}

function toggle(kind, button) {
  const muted = button.getAttribute("aria-pressed") !== "true";
  if (state.media) state.media.setMuted(kind, muted);
  else local.setEnabled(kind, !muted);
  setPressed(button, muted);
  announce(`${kind === "audio" ? "Microphone" : "Camera"} ${muted ? "off" : "on"}.`);
}

async function startCall() {
  if (state.phase === "call" || state.phase === "ended") return;
  state.phase = "call";
  poll(15000);
  showView("call");
  $("devices").hidden = false;
  $("hang-up").hidden = false;
  if (!local.stream) await startDevices();
  if (local.stream) {
    local.setEnabled("audio", $("toggle-mic").getAttribute("aria-pressed") !== "true");
    local.setEnabled("video", $("toggle-camera").getAttribute("aria-pressed") !== "true");
  }
  const servers = await iceServers({ token: state.call.websocket_token }).catch(() => []);
  if (state.phase !== "call") return;
  state.media = startCallMedia(state.channel, local.stream, servers, remotes);
}

function stopMedia() {
  state.media?.close();
  state.media = null;
  local.stop();
  remotes.clear();
  local.detach($("local-video"));
}

function closeChannel() {
  state.channel?.leave();
  state.socket?.disconnect();
  state.channel = null;
  state.socket = null;
}

async function leaveQueue() {
  try {
    await api("POST", `/api/v1/call/leave/${encodeURIComponent(state.call.call_id)}`, { token: state.call.websocket_token });
    ended("missed", "You left the queue.");
  } catch (error) {
    showAlert(error.message);
  }
}

/** The customer leaves the call; the attendant closes it, and then the rating form appears. */
function hangUp() {
  stopMedia();
  closeChannel();
  ended("pending");
}

function ended(status, message) {
  if (state.phase === "ended" && state.ended === status) return;
  state.phase = "ended";
  state.ended = status;
  stopMedia();
  showView("ended");
  $("devices").hidden = true;
  const text = {
    completed: "Thank you for calling. Please tell us how it went.",
    missed: "The call ended before an attendant could take it.",
    cancelled: "The call was cancelled.",
    pending: "You left the call. You can rate it here as soon as the attendant closes it.",
  }[status] ?? `The call is ${status}.`;
  $("ended-message").textContent = message ?? text;
  announce(message ?? text);
  $("rating-form").hidden = status !== "completed";
  if (status === "pending") {
    poll(5000);
    return;
  }
  clearInterval(state.timer);
  closeChannel();
  if (status !== "completed") sessionStorage.removeItem(storageKey);
}

async function onRate(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const rating = Number(new FormData(form).get("rating"));
  const error = $("rating-error");
  if (!rating) {
    error.textContent = "Choose a rating from 1 to 5.";
    error.hidden = false;
    form.querySelector("input[name=rating]").focus();
    return;
  }
  error.hidden = true;
  $("rating-submit").disabled = true;
  try {
    await api("POST", `/api/v1/call/evaluate/${encodeURIComponent(state.call.call_id)}`, {
      token: state.call.websocket_token,
      body: { rating, comment: $("rating-comment").value.trim() || undefined },
    });
    thanks();
  } catch (failure) {
    if (failure.status === 422 && /already/.test(failure.message)) thanks();
    else {
      error.textContent = failure.message;
      error.hidden = false;
      $("rating-submit").disabled = false;
    }
  }
}

function thanks() {
  $("rating-form").hidden = true;
  $("rating-thanks").hidden = false;
  announce("Thank you for your rating!");
  sessionStorage.removeItem(storageKey);
}
