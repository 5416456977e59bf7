// Finding the person: a badge scanned (hand scanner or camera), two badges in pair mode,
// or a name typed into the search. Each ends in one kiosk write, sent now or queued.

import { $, Offline, api, eventPath, newNonce, state } from "./api.js";
import { headshotScan } from "./headshot.js";
import { enqueue } from "./queue.js";
import { closePanels, feedback, hideActivation, showActivation, showAnswer, timeOf } from "./screen.js";

const REPEAT_IGNORE_MS = 2000;   // a scanner firing twice, or a badge held under the camera
const PAIR_WINDOW_MS = 30000;    // pair mode: the second badge within 30 seconds

export function focusScan() {
  if ($("search").hidden && $("walkin").hidden) $("scan").focus();
}

export function onScanKey(event) {
  if (event.key !== "Enter" && event.key !== "Tab") return;
  event.preventDefault();
  const text = $("scan").value.trim();
  $("scan").value = "";
  if (text) handleScan(text);
}

export function handleScan(text) {
  const now = Date.now();
  if (text.toUpperCase() === state.lastScan.text && now - state.lastScan.at < REPEAT_IGNORE_MS) return;
  state.lastScan = { text: text.toUpperCase(), at: now };
  hideActivation();  // the next person has started
  if (state.headshots) headshotScan(text);
  else if (state.pairing) pairScan(text, now);
  else checkIn({ code: text, activate: true });
}

// `who` is { code } or, from a self-service search, { pick }. Only a badge scan asks for
// the one-time phone QR (activate): a name found by search never gets one.
export function checkIn(who) {
  send({ kind: "checkin", path: "checkins", body: { ...who, nonce: newNonce(), at: new Date().toISOString() } });
}

// Sends a kiosk write; when the server cannot be reached, keeps it for the sync.
async function send(item) {
  try {
    const response = await api(eventPath(item.path), { method: "POST", body: item.body });
    const body = await response.json();
    showAnswer(response.status, body, item.kind);
    if (body.activation_svg) showActivation(body.attendee, body.activation_svg);
  } catch (error) {
    if (!(error instanceof Offline)) throw error;
    const { activate, ...later } = item.body;  // a QR shown minutes later would reach no one
    enqueue({ ...item, body: later });
    feedback("queued", "Saved — will sync", "", "The server cannot be reached right now. This scan is kept and sent when it is back.");
  }
}

// ---------- pair mode: badge A, then badge B, records "A met B" ----------

export function togglePairing() {
  state.pairing = state.pairing ? null : { first: null, at: 0 };
  const on = Boolean(state.pairing);
  $("pair-button").setAttribute("aria-pressed", String(on));
  $("pair-button").textContent = on ? "Stop pairing" : "Pair two badges";
  $("scan-prompt").textContent = on ? "Pairing: scan the first badge" : (state.kiosk.mode === "staffed" ? "Scan a badge" : "Scan your badge");
  focusScan();
}

function pairScan(code, now) {
  const pairing = state.pairing;
  if (!pairing.first || now - pairing.at > PAIR_WINDOW_MS) {
    state.pairing = { first: code, at: now };
    $("scan-prompt").textContent = "Now scan the other person's badge";
    feedback("queued", "First badge read", "", "Now scan the other person's badge (within 30 seconds).");
    return;
  }
  state.pairing = { first: null, at: 0 };
  $("scan-prompt").textContent = "Pairing: scan the first badge";
  send({ kind: "pair", path: "connections", body: { scanner: pairing.first, scanned: code, nonce: newNonce() } });
}

// ---------- name search ----------

let searchTimer = null;

export function onSearchInput() {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(search, 150);
}

async function search() {
  const q = $("search-input").value.trim();
  const list = $("results");
  if (!q) return list.replaceChildren();
  try {
    const response = await api(eventPath(`attendees?q=${encodeURIComponent(q)}`));
    const body = await response.json();
    if (q !== $("search-input").value.trim()) return;  // the answer to an older query
    list.replaceChildren(...(body.attendees || []).map(resultItem));
    const letters = (q.match(/[\p{L}\p{N}]/gu) || []).length;
    if (!body.attendees.length) list.replaceChildren(note(letters < 2 && state.kiosk.mode === "self" ? "Type at least two letters." : "Nobody found."));
  } catch (error) {
    list.replaceChildren(note("Search needs the server, which cannot be reached. Scan the badge instead."));
  }
}

function note(text) {
  const li = document.createElement("li");
  li.className = "note";
  li.textContent = text;
  return li;
}

function resultItem(person) {
  const li = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  const name = person.last_initial !== undefined
    ? `${person.first_name} ${person.last_initial}.`
    : `${person.first_name} ${person.last_name}`;
  const strong = document.createElement("strong");
  strong.textContent = name;
  const detail = document.createElement("span");
  detail.textContent = [person.role, person.organisation].filter(Boolean).join(" · ")
    + (person.checked_in_at ? ` · checked in ${timeOf(person.checked_in_at)}` : "")
    + (person.revoked ? " · REVOKED" : "");
  button.append(strong, detail);
  button.addEventListener("click", () => confirmCheckIn(person, name, li));
  li.append(button);
  return li;
}

function confirmCheckIn(person, name, li) {
  const confirm = document.createElement("button");
  confirm.type = "button";
  confirm.className = "confirm";
  confirm.textContent = `Check in ${name}`;
  confirm.addEventListener("click", () => {
    closePanels();
    checkIn(person.pick ? { pick: person.pick } : { code: person.code });
  });
  li.replaceChildren(confirm);
  confirm.focus();
}
