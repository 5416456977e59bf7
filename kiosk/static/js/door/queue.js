// The offline queue: writes the server could not take wait in localStorage and are sent
// again when it is back (their nonces make a second sending harmless).

import { $, Offline, api, eventPath, onConnectionChange, setOnline, state } from "./api.js";

const SYNC_EVERY_MS = 3000;
const HEALTH_EVERY_MS = 10000;

export function queueKey() {
  return `kiosk-queue-${state.token.slice(0, 8)}`;
}

function queue() {
  return JSON.parse(localStorage.getItem(queueKey()) || "[]");
}

function saveQueue(items) {
  localStorage.setItem(queueKey(), JSON.stringify(items));
  updateConnection();
}

export function enqueue(item) {
  saveQueue([...queue(), item]);
}

export async function syncQueue() {
  if (state.syncing || !queue().length) return;
  state.syncing = true;
  try {
    for (const item of queue()) {
      try {
        // The nonce makes this safe to send twice: the server answers a replay with its first answer.
        await api(eventPath(item.path), { method: "POST", body: item.body });
      } catch (error) {
        if (error instanceof Offline) break;
        throw error;
      }
      saveQueue(queue().filter((queued) => queued.body.nonce !== item.body.nonce));
    }
  } finally {
    state.syncing = false;
  }
}

export async function checkHealth() {
  try {
    const response = await fetch("/healthz", { cache: "no-store" });
    setOnline(response.ok);
  } catch (error) {
    setOnline(false);
  }
  if (state.online) syncQueue();
}

export function updateConnection() {
  const waiting = state.token ? queue().length : 0;
  const el = $("connection");
  el.dataset.state = state.online ? (waiting ? "syncing" : "online") : "offline";
  el.textContent = state.online
    ? (waiting ? `Online · sending ${waiting} saved` : "Online")
    : `Offline · ${waiting} saved, will sync`;
}

export function startSyncing() {
  onConnectionChange(updateConnection);
  updateConnection();
  setInterval(syncQueue, SYNC_EVERY_MS);
  setInterval(checkHealth, HEALTH_EVERY_MS);
  syncQueue();
}
