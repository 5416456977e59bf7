// The kiosk's state and its one way to the server: the JSON API with the kiosk's bearer
// token, a short timeout, and "offline" for anything that does not answer.

const REQUEST_TIMEOUT_MS = 4000;

export const state = {
  token: null,
  kiosk: null,          // from GET /api/v1/kiosk
  online: true,
  lastScan: { text: "", at: 0 },
  feedbackTimer: null,
  syncing: false,
  camera: null,         // { stream, timer, detector }
  pairing: null,        // pair mode: null when off, else { first: code or null, at }
  headshots: null,      // headshot mode: null when off, else the booth (headshot.js)
  activationTimer: null,
};

export const $ = (id) => document.getElementById(id);

export class Offline extends Error {}

const listeners = [];

// Called with true or false whenever the server is (or is not) reached.
export function onConnectionChange(listener) {
  listeners.push(listener);
}

export function setOnline(online) {
  state.online = online;
  listeners.forEach((listener) => listener(online));
}

export async function api(path, { timeout = REQUEST_TIMEOUT_MS, ...options } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeout);
  const headers = { Authorization: `Bearer ${state.token}`, ...(options.headers || {}) };
  let body = options.body;
  if (body && !(body instanceof Blob)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  try {
    const response = await fetch(path, { ...options, headers, body, signal: controller.signal });
    if (response.status >= 500) throw new Offline(`server answered ${response.status}`);
    setOnline(true);
    return response;
  } catch (error) {
    if (error instanceof Offline || error.name === "AbortError" || error instanceof TypeError) {
      setOnline(false);
      throw new Offline(error.message);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

export function eventPath(rest) {
  return `/api/v1/events/${encodeURIComponent(state.kiosk.event.slug)}/${rest}`;
}

export function newNonce() {
  // crypto.randomUUID needs a secure context; getRandomValues works on plain http too.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
