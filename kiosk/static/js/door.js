// The check-in kiosk: scanner and camera input, name search, walk-ins, badge printing,
// and an offline queue. Talks only to this server's JSON API, with the kiosk's bearer
// token. No framework and nothing from a CDN: kiosks run on venue Wi-Fi, or none.
"use strict";

const TOKEN_KEY = "kiosk-token";
const REPEAT_IGNORE_MS = 2000;   // a scanner firing twice, or a badge held under the camera
const FEEDBACK_MS = 2000;        // ready for the next person within two seconds
const FEEDBACK_WITH_ACTION_MS = 6000;
const REQUEST_TIMEOUT_MS = 4000;
const SYNC_EVERY_MS = 3000;
const HEALTH_EVERY_MS = 10000;
const CAMERA_EVERY_MS = 300;
const ACTIVATION_MS = 60000;       // the last person's phone-activation QR stays this long
const PAIR_WINDOW_MS = 30000;      // pair mode: the second badge within 30 seconds

const state = {
  token: null,
  kiosk: null,          // from GET /api/v1/kiosk
  online: true,
  lastScan: { text: "", at: 0 },
  feedbackTimer: null,
  syncing: false,
  camera: null,         // { stream, timer, detector }
  pairing: null,        // pair mode: null when off, else { first: code or null, at }
  activationTimer: null,
};

const $ = (id) => document.getElementById(id);

// ---------- the API ----------

class Offline extends Error {}

async function api(path, options = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
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

function eventPath(rest) {
  return `/api/v1/events/${encodeURIComponent(state.kiosk.event.slug)}/${rest}`;
}

function newNonce() {
  // crypto.randomUUID needs a secure context; getRandomValues works on plain http too.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---------- setup ----------

async function start() {
  const fromLink = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromLink) {
    localStorage.setItem(TOKEN_KEY, fromLink);
    history.replaceState(null, "", location.pathname);  // keep the token out of the address bar
  }
  state.token = localStorage.getItem(TOKEN_KEY);
  if (!state.token) return showSetup("");
  try {
    const response = await api("/api/v1/kiosk");
    if (response.status === 401) {
      localStorage.removeItem(TOKEN_KEY);
      return showSetup("This kiosk token is not valid (revoked or mistyped).");
    }
    state.kiosk = await response.json();
    localStorage.setItem(configKey(), JSON.stringify(state.kiosk));
  } catch (error) {
    // Started while the server is unreachable: run from the last known setup.
    state.kiosk = JSON.parse(localStorage.getItem(configKey()) || "null");
    if (!state.kiosk) return showSetup("The server cannot be reached. Check the network and reload.");
  }
  showKiosk();
}

function configKey() {
  return `kiosk-config-${state.token.slice(0, 8)}`;
}

function queueKey() {
  return `kiosk-queue-${state.token.slice(0, 8)}`;
}

function showSetup(message) {
  $("setup").hidden = false;
  $("main").hidden = true;
  $("setup-error").textContent = message;
  $("setup-token").focus();
}

function showKiosk() {
  const k = state.kiosk;
  $("setup").hidden = true;
  $("main").hidden = false;
  $("event-name").textContent = k.workshop_title ? `${k.event.name} · ${k.workshop_title}` : k.event.name;
  $("kiosk-name").textContent = k.name;
  const staffed = k.mode === "staffed";
  document.body.dataset.mode = k.mode;
  document.querySelectorAll("[data-staffed]").forEach((el) => { el.hidden = !staffed; });
  $("scan-prompt").textContent = staffed ? "Scan a badge" : "Scan your badge";
  $("search-button").textContent = staffed ? "Find by name" : "Find me by name";
  updateConnection();
  focusScan();
  setInterval(syncQueue, SYNC_EVERY_MS);
  setInterval(checkHealth, HEALTH_EVERY_MS);
  syncQueue();
}

// ---------- scanning ----------

function focusScan() {
  if ($("search").hidden && $("walkin").hidden) $("scan").focus();
}

function onScanKey(event) {
  if (event.key !== "Enter" && event.key !== "Tab") return;
  event.preventDefault();
  const text = $("scan").value.trim();
  $("scan").value = "";
  if (text) handleScan(text);
}

function handleScan(text) {
  const now = Date.now();
  if (text.toUpperCase() === state.lastScan.text && now - state.lastScan.at < REPEAT_IGNORE_MS) return;
  state.lastScan = { text: text.toUpperCase(), at: now };
  if (state.pairing) pairScan(text, now);
  else checkIn(text);
}

async function checkIn(code) {
  send({ kind: "checkin", path: "checkins", body: { code, nonce: newNonce(), at: new Date().toISOString() } });
}

// Sends a kiosk write; when the server cannot be reached, keeps it for the sync.
async function send(item) {
  try {
    const response = await api(eventPath(item.path), { method: "POST", body: item.body });
    showAnswer(response.status, await response.json(), item.kind);
  } catch (error) {
    if (!(error instanceof Offline)) throw error;
    enqueue(item);
    feedback("queued", "Saved — will sync", "", "The server cannot be reached right now. This scan is kept and sent when it is back.");
  }
}

// ---------- pair mode: badge A, then badge B, records "A met B" ----------

function togglePairing() {
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

function showAnswer(status, body, kind = "checkin") {
  const person = body.attendee || null;
  const name = person ? `${person.first_name} ${person.last_name}`.trim() : "";
  if (kind === "pair") {
    const colour = status === 201 ? "ok" : status === 200 ? "warn" : "error";
    feedback(colour, status < 300 ? "Contacts exchanged" : "Not saved", name, body.message || "");
  } else if (status === 201) {
    feedback("ok", welcomeTitle(), name, [person && person.role, person && person.organisation].filter(Boolean).join(" · "), person);
  } else if (status === 200) {
    feedback("warn", "Already checked in", name, `Checked in at ${timeOf(body.checked_in_at)}`, person);
  } else if (status === 404) {
    feedback("error", "Unknown badge", "", "This is not one of this event's badges. Please see the registration desk.");
  } else {
    feedback("error", titleFor(body.result), name, body.message || "");
  }
}

function welcomeTitle() {
  return state.kiosk.workshop_title ? `Welcome to ${state.kiosk.workshop_title}` : "Welcome!";
}

function titleFor(result) {
  return { revoked: "Badge revoked", closed: "Check-in is closed", conflict: "Already registered" }[result] || "Not checked in";
}

// After check-in, the kiosk screen shows the person's private link as a QR code until
// the next person: scanning it makes their phone ready to record "I met you".
async function showActivation(person) {
  clearTimeout(state.activationTimer);
  $("activation").hidden = true;
  try {
    const response = await api(eventPath(`attendees/${encodeURIComponent(person.code)}/activation.svg`));
    if (!response.ok) return;
    const image = $("activation-qr");
    if (image.src) URL.revokeObjectURL(image.src);
    image.src = URL.createObjectURL(await response.blob());
    $("activation-name").textContent = person.first_name;
    $("activation").hidden = false;
    state.activationTimer = setTimeout(() => { $("activation").hidden = true; }, ACTIVATION_MS);
  } catch (error) {
    // Without the QR the check-in still stands; the invite email has the same link.
  }
}

// Times in the event's own zone (the kiosk's clock may be set to anything), 24-hour.
function timeOf(iso) {
  if (!iso) return "";
  const zone = state.kiosk && state.kiosk.event.timezone;
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    ...(zone ? { timeZone: zone } : {}) });
}

// ---------- feedback: full screen, colour, sound, gone in two seconds ----------

function feedback(kind, title, name, detail, person = null) {
  const box = $("feedback");
  clearTimeout(state.feedbackTimer);
  box.dataset.kind = kind;
  $("feedback-title").textContent = title;
  $("feedback-name").textContent = name;
  $("feedback-detail").textContent = detail;
  const reprint = $("reprint-button");
  reprint.hidden = true;
  let stay = FEEDBACK_MS;
  const checkedIn = person && (kind === "ok" || kind === "warn");
  if (checkedIn) showActivation(person);
  if (checkedIn && state.kiosk.printing !== "off") {
    if (!person.badge_printed) {
      printBadge(person.code);
    } else if (state.kiosk.mode === "staffed") {
      reprint.hidden = false;
      reprint.textContent = `Badge printed already (${person.print_count}×) — reprint`;
      reprint.onclick = () => { reprint.hidden = true; printBadge(person.code); };
      stay = Math.max(stay, FEEDBACK_WITH_ACTION_MS);
    }
  }
  box.hidden = false;
  beep(kind);
  state.feedbackTimer = setTimeout(hideFeedback, stay);
}

function hideFeedback() {
  $("feedback").hidden = true;
  focusScan();
}

let audio = null;
function beep(kind) {
  try {
    audio = audio || new AudioContext();
    const tones = { ok: [880], warn: [660, 660], error: [220], queued: [520] }[kind] || [440];
    tones.forEach((frequency, i) => {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = kind === "error" ? "square" : "sine";
      oscillator.frequency.value = frequency;
      gain.gain.value = 0.15;
      oscillator.connect(gain).connect(audio.destination);
      const at = audio.currentTime + i * 0.18;
      oscillator.start(at);
      oscillator.stop(at + (kind === "error" ? 0.45 : 0.12));
    });
  } catch (error) {
    // No audio device: the colours still say it.
  }
}

// ---------- printing ----------

async function printBadge(code) {
  try {
    if (state.kiosk.printing === "browser") {
      const response = await api(eventPath(`badges/${encodeURIComponent(code)}.pdf`));
      if (!response.ok) throw new Error(`badge PDF: ${response.status}`);
      const url = URL.createObjectURL(await response.blob());
      const frame = $("print-frame");
      frame.onload = () => {
        // With Chromium started as --kiosk --kiosk-printing this prints silently. Under
        // test automation (headless, no printer) printing a PDF frame crashes the tab.
        if (!navigator.webdriver) frame.contentWindow.print();
        setTimeout(() => URL.revokeObjectURL(url), 60000);
      };
      frame.src = url;
      document.body.dataset.lastPrinted = code;
    }
    const recorded = await api(eventPath(`badges/${encodeURIComponent(code)}/print`), { method: "POST", body: {} });
    if (!recorded.ok) {
      const body = await recorded.json();
      feedback("error", "Badge not printed", "", body.message || "");
    }
  } catch (error) {
    feedback("error", "Badge not printed", "", "The badge could not be printed; please try a reprint.");
  }
}

// ---------- offline queue ----------

function queue() {
  return JSON.parse(localStorage.getItem(queueKey()) || "[]");
}

function saveQueue(items) {
  localStorage.setItem(queueKey(), JSON.stringify(items));
  updateConnection();
}

function enqueue(item) {
  saveQueue([...queue(), item]);
}

async function syncQueue() {
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

async function checkHealth() {
  try {
    const response = await fetch("/healthz", { cache: "no-store" });
    setOnline(response.ok);
  } catch (error) {
    setOnline(false);
  }
  if (state.online) syncQueue();
}

function setOnline(online) {
  state.online = online;
  updateConnection();
}

function updateConnection() {
  const waiting = state.token ? queue().length : 0;
  const el = $("connection");
  el.dataset.state = state.online ? (waiting ? "syncing" : "online") : "offline";
  el.textContent = state.online
    ? (waiting ? `Online · sending ${waiting} saved` : "Online")
    : `Offline · ${waiting} saved, will sync`;
}

// ---------- name search ----------

let searchTimer = null;

function openPanel(id) {
  $("search").hidden = id !== "search";
  $("walkin").hidden = id !== "walkin";
  $(id).scrollIntoView({ block: "start" });
  const first = $(id).querySelector("input");
  if (first) first.focus();
}

function closePanels() {
  $("search").hidden = true;
  $("walkin").hidden = true;
  $("search-input").value = "";
  $("results").replaceChildren();
  focusScan();
}

function onSearchInput() {
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
    if (!body.attendees.length) list.replaceChildren(note(q.length < 2 && state.kiosk.mode === "self" ? "Type at least two letters." : "Nobody found."));
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
  confirm.addEventListener("click", () => { closePanels(); checkIn(person.code); });
  li.replaceChildren(confirm);
  confirm.focus();
}

// ---------- walk-ins ----------

async function submitWalkIn(event) {
  event.preventDefault();
  const form = event.target;
  const data = Object.fromEntries(new FormData(form));
  for (const box of ["share_email", "share_linkedin", "allow_scan"]) data[box] = form.elements[box].checked;
  data.nonce = newNonce();
  $("walkin-error").textContent = "";
  $("walkin-existing").hidden = true;
  try {
    const response = await api(eventPath("walk-ins"), { method: "POST", body: data });
    const body = await response.json();
    if (response.status === 201) {
      form.reset();
      closePanels();
      showAnswer(201, body);
    } else {
      $("walkin-error").textContent = body.message || "Not registered.";
      if (body.result === "already_registered") offerExisting(body.attendee, form);
    }
  } catch (error) {
    $("walkin-error").textContent = "Walk-ins need the server, which cannot be reached right now.";
  }
}

// The email is registered already: offer to check that person in rather than register twice.
function offerExisting(person, form) {
  const button = $("walkin-existing");
  button.hidden = false;
  button.onclick = () => {
    button.hidden = true;
    form.reset();
    closePanels();
    checkIn(person.code);
  };
}

// ---------- camera ----------

async function toggleCamera() {
  if (state.camera) return stopCamera();
  const video = $("camera");
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const detector = await nativeDetector();
    state.camera = { stream, detector, busy: false, timer: setInterval(scanFrame, CAMERA_EVERY_MS) };
    $("camera-button").textContent = "Stop the camera";
    $("camera-status").textContent = detector ? "Hold the badge's QR code up to the camera." :
      "Hold the badge's QR code up to the camera (decoded by the server).";
  } catch (error) {
    $("camera-status").textContent = "No camera available (the page needs HTTPS or localhost, and permission).";
  }
  focusScan();
}

async function nativeDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code") ? new BarcodeDetector({ formats: ["qr_code"] }) : null;
  } catch (error) {
    return null;
  }
}

function stopCamera() {
  clearInterval(state.camera.timer);
  state.camera.stream.getTracks().forEach((track) => track.stop());
  state.camera = null;
  $("camera").hidden = true;
  $("camera-button").textContent = "Use the camera";
  $("camera-status").textContent = "";
  focusScan();
}

async function scanFrame() {
  const camera = state.camera;
  const video = $("camera");
  if (!camera || camera.busy || !video.videoWidth) return;
  camera.busy = true;
  try {
    let text = null;
    if (camera.detector) {
      const codes = await camera.detector.detect(video);
      text = codes.length ? codes[0].rawValue : null;
    } else {
      text = await decodeOnServer(video);
    }
    if (text) handleScan(text);
  } catch (error) {
    // A frame that could not be read: the next one will be.
  } finally {
    camera.busy = false;
  }
}

async function decodeOnServer(video) {
  const scale = Math.min(1, 640 / video.videoWidth);
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  const frame = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.7));
  const response = await api(eventPath("decode"), { method: "POST", body: frame, headers: { "Content-Type": "image/jpeg" } });
  const body = await response.json();
  return body.result === "ok" ? body.text : null;
}

// ---------- wiring ----------

document.addEventListener("DOMContentLoaded", () => {
  $("scan").addEventListener("keydown", onScanKey);
  $("scan").addEventListener("blur", () => setTimeout(focusScan, 50));
  $("setup-form").addEventListener("submit", (event) => {
    event.preventDefault();
    localStorage.setItem(TOKEN_KEY, $("setup-token").value.trim());
    start();
  });
  $("search-button").addEventListener("click", () => openPanel("search"));
  $("walkin-button").addEventListener("click", () => openPanel("walkin"));
  $("search-input").addEventListener("input", onSearchInput);
  $("walkin-form").addEventListener("submit", submitWalkIn);
  document.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", closePanels));
  $("camera-button").addEventListener("click", toggleCamera);
  $("pair-button").addEventListener("click", togglePairing);
  $("feedback").addEventListener("click", (event) => { if (event.target.id !== "reprint-button") hideFeedback(); });
  window.addEventListener("online", checkHealth);
  start();
});
