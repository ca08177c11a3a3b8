// Calls to the Voki REST API; errors carry the documented envelope ({"errors": {"detail"} | {field: [..]}}).

export class ApiError extends Error {
  constructor(status, body) {
    const errors = body?.errors ?? {};
    super(typeof errors.detail === "string" ? errors.detail : `Request failed (${status})`);
    this.status = status;
    this.body = body;
    this.fields = typeof errors.detail === "string" ? {} : errors;
  }
}

export async function api(method, path, { body, token, tenant } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  if (tenant) headers["X-Tenant"] = tenant;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { errors: { detail: "The server cannot be reached. Check your connection and try again." } });
  }
  let json = null;
  if (response.status !== 204) {
    try { json = await response.json(); } catch { json = null; }
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

/**
 * ICE servers from the TURN endpoint when it has one, for the customer's websocket_token or a staff {token, tenant};
 * the SFU itself needs none on a reachable network. A refused token rejects (so a console can renew it), anything
 * else gives none.
 */
export async function iceServers(auth) {
  try {
    const { data } = await api("GET", "/api/v1/call/turn-credentials", auth);
    return data?.urls?.length ? [{ urls: data.urls, username: data.username, credential: data.credential }] : [];
  } catch (error) {
    if (error.status === 401) throw error;
    return [];
  }
}

/**
 * A protected file (a recording's WebM, its WebVTT captions) fetched with the caller's headers, as a blob:
 * object URL a <video> or <track> can use: their src cannot send Authorization or X-Tenant. The caller revokes it.
 */
export async function objectUrl(path, { token, tenant } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (tenant) headers["X-Tenant"] = tenant;
  let response;
  try {
    response = await fetch(path, { headers });
  } catch {
    throw new ApiError(0, { errors: { detail: "The server cannot be reached. Check your connection and try again." } });
  }
  if (!response.ok) {
    let json = null;
    try { json = await response.json(); } catch { json = null; }
    throw new ApiError(response.status, json);
  }
  return URL.createObjectURL(await response.blob());
}
