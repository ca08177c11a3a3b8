// The attendant console, /app: log in, follow the queues of one's departments live (queue:{id},
// presence:{id}), take a call (assign + start), talk over WebRTC through the SFU, complete it.
import { api, iceServers, objectUrl } from "./api.js";
import { $, showView, announce, showAlert, showFieldErrors, clearFieldErrors, setPressed } from "./ui.js";
import { connect, join, push, record, Presence } from "./realtime.js";
import { LocalMedia, RemoteVideos, startCallMedia } from "./media.js";

const SESSION_KEY = "voki:session";
const ROLES = ["attendant", "supervisor", "manager", "owner"];
const local = new LocalMedia();
const remotes = new RemoteVideos($("remote-videos"), $("remote-empty"));
const state = {
  session: JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null"),
  socket: null,
  departments: [],
  queues: [],
  presences: new Map(),
  call: null,
  callChannel: null,
  media: null,
  names: new Map(),
  refreshing: null,
  refreshTimer: null,
  queueTimer: null,
  pollTimer: null,
  qualityTimer: null,
  quality: null, // the latest GET …/quality answer while the call is on screen (supervisors and above)
  events: [],
  recording: null, // {callId, duration, urls: [blob: URLs]} of the recording on screen
};
window.voki = state; // for automated tests: the console's live state
// For automated tests and support: what the media connection receives, and the call channels' events.
window.__voki = {
  inboundStats: () => state.media?.stats() ?? Promise.resolve(null),
  events: state.events,
  recording: () => state.recording && { callId: state.recording.callId, duration: state.recording.duration, captions: state.recording.captions },
};

$("login-form").addEventListener("submit", onLogin);
$("forgot-link").addEventListener("click", openForgot);
$("forgot-back").addEventListener("click", () => { showAlert(""); showView("login"); });
$("forgot-form").addEventListener("submit", onForgot);
$("reset-form").addEventListener("submit", onReset);
$("logout").addEventListener("click", logout);
$("complete-form").addEventListener("submit", onComplete);
$("customer-notes-form").addEventListener("submit", onSaveCustomerNotes);
$("toggle-mic").addEventListener("click", () => toggle("audio", $("toggle-mic")));
$("toggle-camera").addEventListener("click", () => toggle("video", $("toggle-camera")));
$("open-recordings").addEventListener("click", openRecordings);
$("close-recordings").addEventListener("click", closeRecordings);
$("recording-video").addEventListener("timeupdate", highlightSegment);
$("media-retry").addEventListener("click", () => {
  $("media-retry").hidden = true;
  showAlert("");
  state.media?.restart();
});

// A reset mail's link, /app?reset_token=…: the token leaves the address bar (and the history) at once.
const resetToken = new URLSearchParams(location.search).get("reset_token");
if (resetToken) history.replaceState(null, "", location.pathname);

if (resetToken) showView("reset");
else if (state.session) start();
else showView("login");

// ---- session ---------------------------------------------------------------------------------

async function onLogin(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearFieldErrors(form);
  showAlert("");
  const body = { tenant: $("login-tenant").value.trim().toLowerCase(), email: $("login-email").value.trim(), password: $("login-password").value };
  const missing = Object.fromEntries(Object.entries(body).filter(([, v]) => !v).map(([k]) => [k, ["can't be blank"]]));
  if (Object.keys(missing).length) {
    showFieldErrors(form, missing);
    return;
  }
  $("login-submit").disabled = true;
  try {
    const { data } = await api("POST", "/api/auth/login", { body });
    saveSession({ tenant: body.tenant, ...data });
    $("login-password").value = "";
    await start();
  } catch (error) {
    if (error.status === 422 && showFieldErrors(form, error.fields)) return;
    showAlert(error.status === 401 ? "The company, e-mail or password is not right." : error.message);
  } finally {
    $("login-submit").disabled = false;
  }
}

function openForgot(event) {
  event.preventDefault();
  $("forgot-tenant").value = $("login-tenant").value;
  $("forgot-email").value = $("login-email").value;
  showAlert("");
  showView("forgot");
}

async function onForgot(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearFieldErrors(form);
  showAlert("");
  const body = { tenant: $("forgot-tenant").value.trim().toLowerCase(), email: $("forgot-email").value.trim() };
  const missing = Object.fromEntries(Object.entries(body).filter(([, v]) => !v).map(([k]) => [k, ["can't be blank"]]));
  if (Object.keys(missing).length) {
    showFieldErrors(form, missing);
    return;
  }
  $("forgot-submit").disabled = true;
  try {
    const { data } = await api("POST", "/api/auth/forgot-password", { body });
    showView("login");
    announce(data.message);
  } catch (error) {
    if (error.status === 422 && showFieldErrors(form, error.fields)) return;
    showAlert(error.status === 429 ? "Too many requests. Please wait a while and try again." : error.message);
  } finally {
    $("forgot-submit").disabled = false;
  }
}

async function onReset(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearFieldErrors(form);
  showAlert("");
  const body = { token: resetToken, password: $("reset-password").value, password_confirmation: $("reset-password-confirmation").value };
  if (!body.password) {
    showFieldErrors(form, { password: ["can't be blank"] });
    return;
  }
  $("reset-submit").disabled = true;
  try {
    const { data } = await api("POST", "/api/auth/reset-password", { body });
    form.reset();
    // Every session of the user has ended, this browser's included.
    state.session = null;
    sessionStorage.removeItem(SESSION_KEY);
    showView("login");
    announce(data.message);
  } catch (error) {
    if (error.fields?.token) showAlert("This link is invalid, used or expired. Ask for a new one with “Forgot password?”.");
    else if (error.status === 422 && showFieldErrors(form, error.fields)) return;
    else showAlert(error.message);
  } finally {
    $("reset-submit").disabled = false;
  }
}

function saveSession({ tenant, access_token, refresh_token, expires_in, user }) {
  state.session = { tenant, access_token, refresh_token, user: user ?? state.session?.user };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(state.session));
  // Renew before the access token expires, so a socket reconnect always has a valid token.
  clearTimeout(state.refreshTimer);
  if (expires_in) state.refreshTimer = setTimeout(renew, Math.max(30, expires_in * 0.8) * 1000);
}

function renew() {
  state.refreshing ??= api("POST", "/api/auth/refresh", { body: { refresh_token: state.session.refresh_token } })
    .then(({ data }) => { saveSession({ tenant: state.session.tenant, ...data }); return true; })
    .catch(() => false)
    .finally(() => { state.refreshing = null; });
  return state.refreshing;
}

/** The API as the signed-in user; an expired access token is renewed once with the refresh token. */
function call(method, path, body) {
  return authorized((auth) => api(method, path, { body, ...auth }));
}

/** Runs send({token, tenant}) as the signed-in user, renewing an expired access token once. */
async function authorized(send0) {
  const send = () => send0({ token: state.session.access_token, tenant: state.session.tenant });
  try {
    return await send();
  } catch (error) {
    if (error.status !== 401) throw error;
    if (await renew()) return send();
    signedOut("Your session has ended. Please log in again.");
    throw error;
  }
}

async function logout() {
  const refresh = state.session?.refresh_token;
  signedOut("You are logged out.");
  if (refresh) await api("POST", "/api/auth/logout", { body: { refresh_token: refresh } }).catch(() => {});
}

function signedOut(message) {
  leaveCall();
  closePlayer();
  clearTimeout(state.refreshTimer);
  clearInterval(state.pollTimer);
  state.socket?.disconnect();
  state.socket = null;
  state.session = null;
  sessionStorage.removeItem(SESSION_KEY);
  $("whoami").hidden = true;
  $("logout").hidden = true;
  showView("login");
  announce(message);
}

// ---- queue -----------------------------------------------------------------------------------

const atLeast = (role) => ROLES.indexOf(state.session.user?.role) >= ROLES.indexOf(role);

async function start() {
  try {
    const { data: me } = await call("GET", "/api/v1/users/me");
    state.session.user = me;
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(state.session));
    $("whoami").textContent = `${me.name} (${me.role})`;
    $("whoami").hidden = false;
    $("logout").hidden = false;
    state.departments = atLeast("supervisor")
      ? (await call("GET", "/api/v1/departments?active=true&page_size=100&sort_by=name&sort_order=asc")).data
      : (await call("GET", "/api/v1/users/me/departments")).data;
  } catch (error) {
    if (state.session) showAlert(error.message);
    return;
  }
  $("queue-departments").textContent = state.departments.length
    ? `Departments: ${state.departments.map((d) => d.name).join(", ")}`
    : "You are not a member of any department yet.";
  showView("queue");
  state.socket = connect(() => ({ token: state.session?.access_token }));
  for (const department of state.departments) follow(department);
  clearInterval(state.pollTimer);
  state.pollTimer = setInterval(refreshQueue, 15000); // the live events make this a safety net only
  await refreshQueue();
}

function follow(department) {
  const queue = state.socket.channel(`queue:${department.id}`, {});
  queue.on("customer_joined", (p) => {
    announce(`${p.customer_name} is waiting in ${department.name}.`);
    scheduleRefresh();
  });
  queue.on("customer_left", scheduleRefresh);
  queue.on("call_assigned", scheduleRefresh);
  join(queue).catch((error) => showAlert(`The queue of ${department.name} is not live: ${error.message}`));
  state.queues.push(queue);

  const channel = state.socket.channel(`presence:${department.id}`, {});
  const presence = new Presence(channel);
  presence.onSync(() => renderPresence(department, presence));
  join(channel).catch(() => {});
  state.presences.set(department.id, { department, presence });
}

function renderPresence(department, presence) {
  const holder = $("presence");
  let block = holder.querySelector(`[data-department-id="${department.id}"]`);
  if (!block) {
    block = document.createElement("div");
    block.dataset.departmentId = department.id;
    const title = document.createElement("h4");
    title.textContent = department.name;
    const list = document.createElement("ul");
    list.className = "online";
    block.append(title, list);
    holder.append(block);
  }
  const list = block.querySelector("ul");
  list.replaceChildren(...presence.list((id, { metas }) => {
    const item = document.createElement("li");
    item.dataset.userId = id;
    item.textContent = metas[0].name + (metas.length > 1 ? ` (${metas.length} devices)` : "");
    return item;
  }));
}

function scheduleRefresh() {
  clearTimeout(state.queueTimer);
  state.queueTimer = setTimeout(refreshQueue, 250);
}

async function refreshQueue() {
  if (!state.session) return;
  try {
    const me = state.session.user.id;
    const [queued, active] = await Promise.all([
      call("GET", "/api/v1/calls?status=queued&page_size=100&sort_by=inserted_at&sort_order=asc"),
      call("GET", `/api/v1/calls?status=active&page_size=100${atLeast("supervisor") ? "" : `&user_id=${me}`}`),
    ]);
    renderQueue(queued.data);
    renderMine(active.data.filter((c) => c.user_id === me));
    renderOthers(active.data.filter((c) => c.user_id !== me));
  } catch (error) {
    if (state.session) showAlert(error.message);
  }
}

function renderQueue(calls) {
  $("queue-empty").hidden = calls.length > 0;
  $("queue-list").replaceChildren(...calls.map((c) => {
    const item = document.createElement("li");
    item.dataset.testid = "queue-item";
    item.dataset.callId = c.id;
    const text = document.createElement("div");
    const who = document.createElement("p");
    who.className = "who";
    who.textContent = c.customer_name;
    const meta = document.createElement("p");
    meta.className = "meta";
    const waited = Math.max(0, Math.round((Date.now() - Date.parse(c.inserted_at)) / 60000));
    meta.textContent = [c.department_name, `waiting ${waited} min`, c.reason, c.user_name ? `assigned to ${c.user_name}` : null]
      .filter(Boolean).join(" · ");
    text.append(who, meta);
    const take = document.createElement("button");
    take.type = "button";
    take.textContent = "Take call";
    take.dataset.testid = "take-call";
    take.setAttribute("aria-label", `Take the call of ${c.customer_name}`);
    take.disabled = !!c.user_id && c.user_id !== state.session.user.id && !atLeast("supervisor");
    take.addEventListener("click", () => takeCall(c, take));
    item.append(text, take);
    return item;
  }));
}

function renderMine(calls) {
  $("mine").hidden = calls.length === 0;
  $("active-list").replaceChildren(...calls.map((c) => {
    const item = document.createElement("li");
    item.dataset.callId = c.id;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = c.customer_name;
    const resume = document.createElement("button");
    resume.type = "button";
    resume.textContent = "Resume";
    resume.dataset.testid = "resume-call";
    resume.setAttribute("aria-label", `Resume the call with ${c.customer_name}`);
    resume.addEventListener("click", () => openCall(c));
    item.append(who, resume);
    return item;
  }));
}

async function takeCall(queued, button) {
  button.disabled = true;
  showAlert("");
  try {
    if (queued.user_id !== state.session.user.id) await call("POST", `/api/v1/calls/${queued.id}/assign`, {});
    const { data } = await call("POST", `/api/v1/calls/${queued.id}/start`);
    await openCall(data);
  } catch (error) {
    showAlert(error.message);
    button.disabled = false;
    scheduleRefresh();
  }
}

/** Supervisors and above: the calls other attendants are in, to join them as a third participant. */
function renderOthers(calls) {
  $("others").hidden = calls.length === 0;
  $("others-list").replaceChildren(...calls.map((c) => {
    const item = document.createElement("li");
    item.dataset.testid = "other-call";
    item.dataset.callId = c.id;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = `${c.customer_name} with ${c.user_name ?? "an attendant"}`;
    const enter = document.createElement("button");
    enter.type = "button";
    enter.className = "secondary";
    enter.textContent = "Join";
    enter.dataset.testid = "join-call";
    enter.setAttribute("aria-label", `Join the call of ${c.customer_name} with ${c.user_name ?? "an attendant"}`);
    enter.addEventListener("click", () => openCall(c));
    item.append(who, enter);
    return item;
  }));
}

// ---- call ------------------------------------------------------------------------------------

async function openCall(c) {
  if (state.callChannel) leaveCall(); // the channel of a call we just completed, still waiting for call_ended
  state.call = c;
  $("call-title").textContent = `Call with ${c.customer_name}`;
  $("call-protocol").textContent = c.protocol ?? "";
  $("call-department").textContent = c.department_name ?? "";
  $("call-email").textContent = c.customer_email ?? "—";
  $("call-phone").textContent = c.customer_phone ?? "—";
  $("call-reason").textContent = c.reason ?? "—";
  $("call-notes").value = c.notes ?? "";
  $("call-participants").textContent = "";
  setPressed($("toggle-mic"), false);
  setPressed($("toggle-camera"), false);
  showView("call");
  showCustomer(c);

  const channel = (state.callChannel = state.socket.channel(`call:${c.id}`, {}));
  record(channel, state.events);
  // Who is already in the call: its customer and its attendant (participant ids "customer" and the user id).
  remotes.setName("customer", c.customer_name);
  if (c.user_id && c.user_name) remotes.setName(c.user_id, c.user_name);
  channel.on("participant_joined", (p) => {
    state.names.set(p.participant_id, p.name);
    remotes.setName(p.participant_id, p.name);
    $("call-participants").textContent = `${p.name} is in the call.`;
    announce(`${p.name} joined the call.`);
  });
  channel.on("participant_left", (p) => {
    $("call-participants").textContent = `${p.name} left the call.`;
    announce(`${p.name} left the call.`);
  });
  channel.on("mute", (p) => {
    remotes.setMuted(p.participant_id, p.type, p.muted);
    const what = p.type === "audio" ? "microphone" : "camera";
    announce(`${state.names.get(p.participant_id) ?? "The customer"} turned their ${what} ${p.muted ? "off" : "on"}.`);
  });
  channel.on("call_ended", (p) => {
    if (state.callChannel !== channel) return;
    const shown = state.call?.id === c.id;
    leaveCall();
    if (!shown) return; // we completed it ourselves: the queue is already on screen
    showView("queue");
    announce(`The call with ${c.customer_name} is ${p.status}.`);
    scheduleRefresh();
  });
  let joined;
  try {
    joined = await join(channel);
  } catch (error) {
    showAlert(`Could not join the call: ${error.message}`);
    return;
  }
  // A supervisor following the topic gets no media until they join the call's media explicitly (again after a
  // reconnect, so before every offer); the attendant it is assigned to is in it by right.
  const joinMedia = joined.role === "supervisor" ? () => push(channel, "join", {}) : undefined;
  try {
    await local.start();
    local.attach($("local-video"));
  } catch {
    showAlert("Your camera and microphone are blocked or missing; the customer will not see or hear you.");
  }
  const servers = await authorized((auth) => iceServers(auth)).catch(() => []);
  if (state.callChannel !== channel) return;
  state.media = startCallMedia(channel, local.stream, servers, remotes, joinMedia);
  followQuality(c);
}

// ---- call quality: a badge per participant (supervisors and above) ------------------------------

const QUALITY_POLL_MS = 3000;
const QUALITY_WORDS = { good: "Good", fair: "Fair", poor: "Poor" };

/**
 * Polls GET /api/v1/calls/:id/quality while the call is on screen and shows each connected participant's badge. The
 * API rates them from the last 5 s: good below 2 % loss, 30 ms jitter and 200 ms round trip; poor from 5 %, 60 ms or
 * 400 ms; fair between (the worst of loss either way, jitter either way and round trip).
 */
function followQuality(c) {
  stopQuality();
  if (!atLeast("supervisor")) return;
  $("call-quality-panel").hidden = false;
  const poll = async () => {
    if (state.call?.id !== c.id) { stopQuality(); return; }
    try {
      const { data } = await call("GET", `/api/v1/calls/${c.id}/quality`);
      if (state.call?.id === c.id) renderQuality(data);
    } catch { /* the next poll tries again */ }
  };
  poll();
  state.qualityTimer = setInterval(poll, QUALITY_POLL_MS);
}

function stopQuality() {
  clearInterval(state.qualityTimer);
  state.qualityTimer = null;
  state.quality = null;
  $("call-quality").replaceChildren();
  $("call-quality-panel").hidden = true;
}

const percent = (fraction) => (fraction == null ? "—" : `${(fraction * 100).toFixed(1)} %`);
const millis = (ms) => (ms == null ? "—" : `${Math.round(ms)} ms`);

function renderQuality(report) {
  state.quality = report;
  const items = report.participants.filter((p) => p.connected).map((p) => {
    const item = document.createElement("li");
    item.dataset.testid = "quality-badge";
    item.dataset.participantId = p.participant_id;
    item.dataset.quality = p.quality ?? "measuring";
    const name = p.participant_id === state.session.user.id ? "You" : p.name || state.names.get(p.participant_id) || p.role;
    const badge = document.createElement("span");
    badge.className = `badge badge-${p.quality ?? "measuring"}`;
    badge.textContent = QUALITY_WORDS[p.quality] ?? "Measuring";
    const jitter = Math.max(p.uplink.jitter_ms.current ?? 0, p.downlink.jitter_ms.current ?? 0);
    const figures = document.createElement("span");
    figures.className = "quality-figures";
    figures.textContent = `loss ${percent(p.uplink.loss.current)} sent, ${percent(p.downlink.loss.current)} received · ` +
      `jitter ${millis(p.uplink.jitter_ms.current == null && p.downlink.jitter_ms.current == null ? null : jitter)} · ` +
      `round trip ${millis(p.downlink.round_trip_ms.current)}${p.uplink.frozen ? " · video frozen" : ""}`;
    item.append(`${name} `, badge, " ", figures);
    return item;
  });
  $("call-quality").replaceChildren(...items);
}

// ---- the call's customer: internal notes and earlier calls ---------------------------------------

const HISTORY_SIZE = 10;
const STATUS_WORDS = { queued: "waiting", active: "in progress", completed: "completed", missed: "missed", cancelled: "cancelled" };

/** Beside the call: the customer's notes and their earlier calls, as far as the attendant may see calls. */
async function showCustomer(c) {
  const panel = $("customer-panel");
  panel.hidden = true;
  panel.dataset.customerId = c.customer_id ?? "";
  clearFieldErrors($("customer-notes-form"));
  $("customer-history").replaceChildren();
  if (!c.customer_id) return;
  try {
    const [{ data: customer }, { data: calls }] = await Promise.all([
      call("GET", `/api/v1/customers/${c.customer_id}`),
      call("GET", `/api/v1/calls?customer_id=${c.customer_id}&page_size=${HISTORY_SIZE + 1}`),
    ]);
    if (state.call?.id !== c.id) return; // another call opened meanwhile
    $("customer-notes").value = customer.notes ?? "";
    renderHistory(calls.filter((earlier) => earlier.id !== c.id).slice(0, HISTORY_SIZE));
    panel.hidden = false;
  } catch (error) {
    // A customer merged or deleted meanwhile is simply not shown; anything else is said.
    if (error.status !== 404 && state.session) showAlert(error.message);
  }
}

function renderHistory(calls) {
  $("customer-history-empty").hidden = calls.length > 0;
  $("customer-history").replaceChildren(...calls.map((c) => {
    const item = document.createElement("li");
    item.dataset.testid = "history-item";
    item.dataset.callId = c.id;
    const text = document.createElement("div");
    const what = document.createElement("p");
    what.className = "who";
    what.textContent = [new Date(c.inserted_at).toLocaleString(), STATUS_WORDS[c.status] ?? c.status].join(" · ");
    const meta = document.createElement("p");
    meta.className = "meta";
    meta.textContent = [c.department_name, c.user_name, c.reason].filter(Boolean).join(" · ");
    text.append(what, meta);
    if (c.notes) {
      const notes = document.createElement("p");
      notes.dataset.testid = "history-notes";
      notes.textContent = c.notes;
      text.append(notes);
    }
    item.append(text);
    return item;
  }));
}

async function onSaveCustomerNotes(event) {
  event.preventDefault();
  const form = $("customer-notes-form");
  const customerId = $("customer-panel").dataset.customerId;
  if (!customerId) return;
  clearFieldErrors(form);
  $("save-customer-notes").disabled = true;
  try {
    const notes = $("customer-notes").value.trim();
    await call("PUT", `/api/v1/customers/${customerId}`, { customer: { notes: notes || null } });
    announce("The customer's notes are saved.");
  } catch (error) {
    if (!showFieldErrors(form, error.fields)) showAlert(error.message);
  } finally {
    $("save-customer-notes").disabled = false;
  }
}

function toggle(kind, button) {
  const muted = button.getAttribute("aria-pressed") !== "true";
  if (state.media) state.media.setMuted(kind, muted);
  else local.setEnabled(kind, !muted);
  setPressed(button, muted);
  announce(`${kind === "audio" ? "Microphone" : "Camera"} ${muted ? "off" : "on"}.`);
}

async function onComplete(event) {
  event.preventDefault();
  const completing = state.call;
  if (!completing) return;
  $("complete-call").disabled = true;
  try {
    const notes = $("call-notes").value.trim();
    await call("POST", `/api/v1/calls/${completing.id}/complete`, notes ? { notes } : {});
    if (state.call !== completing) return; // call_ended came first and closed it
    // Media stops now; the channel stays until call_ended (and the participants' participant_left)
    // arrive, or for a few seconds at most.
    const channel = state.callChannel;
    stopCallMedia();
    state.call = null;
    setTimeout(() => { if (state.callChannel === channel) leaveCall(); }, 3000);
    showView("queue");
    announce(`The call with ${completing.customer_name} is completed.`);
    scheduleRefresh();
  } catch (error) {
    showAlert(error.message);
  } finally {
    $("complete-call").disabled = false;
  }
}

function stopCallMedia() {
  stopQuality();
  state.media?.close();
  state.media = null;
  local.stop();
  remotes.clear();
  local.detach($("local-video"));
  $("media-retry").hidden = true;
}

function leaveCall() {
  stopCallMedia();
  state.callChannel?.leave();
  state.callChannel = null;
  state.call = null;
}

// ---- recordings ------------------------------------------------------------------------------

const RECORDING_STATES = {
  ready: "recording ready",
  pending: "recording being prepared",
  processing: "recording being prepared",
  failed: "recording failed",
  expired: "recording expired",
};

async function openRecordings() {
  showAlert("");
  showView("recordings");
  closePlayer();
  $("recordings-empty").hidden = true;
  $("recordings-list").replaceChildren();
  announce("Loading your completed calls…");
  try {
    const mine = atLeast("supervisor") ? "" : `&user_id=${state.session.user.id}`;
    const { data } = await call("GET", `/api/v1/calls?status=completed&page_size=50&sort_by=completed_at&sort_order=desc${mine}`);
    renderRecordings(data);
    announce(data.length === 1 ? "1 completed call." : `${data.length} completed calls.`);
  } catch (error) {
    announce("");
    if (state.session) showAlert(error.message);
  }
}

function closeRecordings() {
  closePlayer();
  showView("queue");
  scheduleRefresh();
}

function renderRecordings(calls) {
  $("recordings-empty").hidden = calls.length > 0;
  $("recordings-list").replaceChildren(...calls.map((c) => {
    const item = document.createElement("li");
    item.dataset.testid = "recording-item";
    item.dataset.callId = c.id;
    item.dataset.recordingStatus = c.recording_status ?? "none";
    const text = document.createElement("div");
    const who = document.createElement("p");
    who.className = "who";
    who.textContent = c.customer_name;
    const meta = document.createElement("p");
    meta.className = "meta";
    const when = c.completed_at ? new Date(c.completed_at).toLocaleString() : null;
    meta.textContent = [c.department_name, when, c.duration != null ? clock(c.duration) : null,
      RECORDING_STATES[c.recording_status] ?? "no recording"].filter(Boolean).join(" · ");
    text.append(who, meta);
    item.append(text);
    if (c.recording_status === "ready") {
      const watch = document.createElement("button");
      watch.type = "button";
      watch.textContent = "Watch";
      watch.dataset.testid = "watch-recording";
      watch.setAttribute("aria-label", `Watch the recording of the call with ${c.customer_name}`);
      watch.addEventListener("click", () => watchRecording(c, watch));
      item.append(watch);
    }
    return item;
  }));
}

async function watchRecording(c, button) {
  closePlayer();
  showAlert("");
  button.disabled = true;
  announce(`Loading the recording of the call with ${c.customer_name}…`);
  const shown = (state.recording = { callId: c.id, duration: null, captions: false, urls: [] });
  try {
    const [{ data: recording }, transcript] = await Promise.all([
      call("GET", `/api/v1/calls/${c.id}/recording`),
      call("GET", `/api/v1/calls/${c.id}/transcript`).then((r) => r.data).catch((error) => {
        if (error.status === 404) return null;
        throw error;
      }),
    ]);
    const video = authorized((auth) => objectUrl(recording.download_url, auth));
    const captions = transcript?.status === "completed"
      ? authorized((auth) => objectUrl(`/api/v1/calls/${c.id}/transcript.vtt`, auth)).catch(() => null)
      : Promise.resolve(null);
    const [videoUrl, captionsUrl] = await Promise.all([video, captions]);
    if (state.recording !== shown) {
      for (const url of [videoUrl, captionsUrl]) if (url) URL.revokeObjectURL(url);
      return;
    }
    shown.urls = [videoUrl, captionsUrl].filter(Boolean);
    shown.duration = recording.duration;
    shown.captions = !!captionsUrl;
    showPlayer(c, recording, videoUrl, captionsUrl, transcript);
    announce(`The recording of the call with ${c.customer_name} is ready to play.`);
  } catch (error) {
    if (state.recording === shown) state.recording = null;
    announce("");
    if (state.session) showAlert(error.message);
  } finally {
    button.disabled = false;
  }
}

function showPlayer(c, recording, videoUrl, captionsUrl, transcript) {
  const video = $("recording-video");
  video.replaceChildren();
  if (captionsUrl) {
    const track = document.createElement("track");
    track.kind = "captions";
    track.label = transcript.language ? `Transcript (${transcript.language})` : "Transcript";
    if (transcript.language) track.srclang = transcript.language;
    track.src = captionsUrl;
    track.default = true;
    track.dataset.testid = "recording-captions";
    video.append(track);
  }
  video.src = videoUrl;
  $("player-title").textContent = `Call with ${c.customer_name}`;
  $("recording-facts").textContent = [c.protocol, recording.duration != null ? clock(recording.duration) : null,
    recording.file_size != null ? `${Math.max(1, Math.round(recording.file_size / 1024))} KB` : null].filter(Boolean).join(" · ");
  renderTranscript(transcript);
  $("player").hidden = false;
  $("player-title").focus();
}

function renderTranscript(transcript) {
  const segments = transcript?.status === "completed" ? transcript.segments ?? [] : [];
  const empty = $("transcript-empty");
  empty.hidden = segments.length > 0;
  empty.textContent = !transcript ? "No transcript"
    : transcript.status === "completed" ? "No transcript: nothing was said."
    : transcript.status === "failed" ? "No transcript: the transcription failed."
    : "No transcript yet: it is being prepared.";
  $("transcript-list").replaceChildren(...segments.map((segment) => {
    const item = document.createElement("li");
    const seek = document.createElement("button");
    seek.type = "button";
    seek.dataset.testid = "transcript-line";
    seek.dataset.start = String(segment.start);
    seek.dataset.end = String(segment.end);
    const speaker = document.createElement("span");
    speaker.className = "speaker";
    speaker.textContent = segment.speaker_name ?? segment.speaker ?? "Someone";
    const time = document.createElement("span");
    time.className = "time";
    time.textContent = clock(segment.start);
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = segment.text;
    seek.append(speaker, time, text);
    seek.setAttribute("aria-label", `${speaker.textContent} at ${clock(segment.start)}: ${segment.text}. Play from here.`);
    seek.addEventListener("click", () => {
      const video = $("recording-video");
      video.currentTime = segment.start;
      video.play().catch(() => {});
    });
    item.append(seek);
    return item;
  }));
}

function highlightSegment() {
  const now = $("recording-video").currentTime;
  for (const line of $("transcript-list").querySelectorAll("button")) {
    const current = now >= Number(line.dataset.start) && now < Number(line.dataset.end);
    if (current) line.setAttribute("aria-current", "true");
    else line.removeAttribute("aria-current");
  }
}

/** Stops the player and frees the blob: URLs of the recording on screen. */
function closePlayer() {
  const video = $("recording-video");
  video.pause();
  video.removeAttribute("src");
  video.replaceChildren();
  video.load();
  for (const url of state.recording?.urls ?? []) URL.revokeObjectURL(url);
  state.recording = null;
  $("player").hidden = true;
  $("transcript-list").replaceChildren();
}

/** 75 → "1:15"; 3700 → "1:01:40". */
function clock(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? `${h}:` : ""}${mm}:${String(s).padStart(2, "0")}`;
}
