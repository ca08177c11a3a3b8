// Drives a Voki node with the official Phoenix JavaScript client, unchanged, the way the pages do.
// Usage: node official-client.mjs '{"url":"ws://…/socket","customerToken":…,"attendantToken":…,"callId":…,"departmentId":…}'
// Prints one JSON line with what each side saw; exits non-zero on any failure.
import { Socket, Presence } from "phoenix";

const WebSocketImpl = globalThis.WebSocket ?? (await import("ws")).WebSocket;
const { url, customerToken, attendantToken, callId, departmentId } = JSON.parse(process.argv[2]);

const fail = (why) => { console.error(`FAILED: ${why}`); process.exit(1); };
setTimeout(() => fail("timed out"), 30000).unref();

const connect = (token) => {
  const socket = new Socket(url, { params: { token }, transport: WebSocketImpl, heartbeatIntervalMs: 300 });
  socket.onError((e) => console.error("socket error", e?.message ?? e));
  socket.connect();
  return socket;
};

const reply = (push, what) => new Promise((resolve, reject) => push
  .receive("ok", resolve)
  .receive("error", (r) => reject(new Error(`${what}: ${JSON.stringify(r)}`)))
  .receive("timeout", () => reject(new Error(`${what}: timeout`))));

const next = (channel, event) => new Promise((resolve) => {
  const ref = channel.on(event, (payload) => { channel.off(event, ref); resolve(payload); });
});

try {
  const customer = connect(customerToken);
  const call = customer.channel(`call:${callId}`, {});
  const participantJoined = next(call, "participant_joined");
  const joinReply = await reply(call.join(), "customer join");

  const attendant = connect(attendantToken);
  const presenceChannel = attendant.channel(`presence:${departmentId}`, {});
  const presence = new Presence(presenceChannel);
  const synced = new Promise((resolve) => presence.onSync(() => {
    const online = presence.list((id, { metas }) => ({ id, name: metas[0].name, role: metas[0].role }));
    if (online.length > 0) resolve(online);
  }));
  await reply(presenceChannel.join(), "presence join");

  const attendantCall = attendant.channel(`call:${callId}`, {});
  await reply(attendantCall.join(), "attendant join");
  const joined = await participantJoined;
  const online = await synced;

  const muted = next(call, "mute");
  await reply(attendantCall.push("mute", { type: "audio", muted: true }), "mute");
  const mute = await muted;

  const refusal = await new Promise((resolve) => attendantCall.push("signal", { type: "offer", sdp: "v=0\r\n" })
    .receive("ok", () => resolve({ status: "ok" }))
    .receive("error", (r) => resolve({ status: "error", response: r })));

  const latency = await new Promise((resolve) => customer.ping(resolve));
  const participantLeft = next(call, "participant_left");
  await reply(attendantCall.leave(), "attendant leave");
  const left = await participantLeft;

  console.log(JSON.stringify({ joinReply, joined, online, mute, refusal, latency, left }));
  customer.disconnect();
  attendant.disconnect();
  process.exit(0);
} catch (e) {
  fail(e.message);
}
