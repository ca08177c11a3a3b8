// The official phoenix client, served from its npm package, and promise helpers around it.
import { Socket, Presence } from "/vendor/phoenix.mjs";

export { Presence };

/** The socket endpoint: the join response's websocket_url (…/socket/websocket) or this origin's /socket. */
export function socketEndpoint(websocketUrl) {
  if (websocketUrl) return websocketUrl.replace(/\/websocket\/?$/, "");
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/socket`;
}

/** params may be a function, so a reconnect sends the current token. */
export function connect(params, websocketUrl) {
  const socket = new Socket(socketEndpoint(websocketUrl), { params });
  socket.connect();
  return socket;
}

function settle(push, what) {
  return new Promise((resolve, reject) => push
    .receive("ok", resolve)
    .receive("error", (response) => reject(new Error(response?.reason ?? `${what} refused`)))
    .receive("timeout", () => reject(new Error(`${what}: no answer from the server`))));
}

export function join(channel) {
  return settle(channel.join(), `join ${channel.topic}`);
}

export function push(channel, event, payload) {
  return settle(channel.push(event, payload), event);
}

/**
 * Keeps the last events a channel received (not its replies), for people and tests inspecting a page:
 * [{event, payload, at}], at most `keep` of them.
 */
export function record(channel, log, keep = 200) {
  channel.onMessage = (event, payload) => {
    if (!event.startsWith("phx_") && !event.startsWith("chan_reply_")) {
      log.push({ event, payload, at: Date.now() });
      if (log.length > keep) log.splice(0, log.length - keep);
    }
    return payload;
  };
}
