// What the kiosk shows and does after a scan: the full-screen answer (colour, sound, gone
// in two seconds), the one-time phone QR, badge printing, and the search and walk-in panels.

import { $, api, eventPath, newNonce, state } from "./api.js";
import { checkIn, focusScan } from "./scanner.js";

const FEEDBACK_MS = 2000;        // ready for the next person within two seconds
const FEEDBACK_WITH_ACTION_MS = 6000;
const ACTIVATION_MS = 30000;     // the phone QR: until the next person starts, at most 30 s

export function showAnswer(status, body, kind = "checkin") {
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

// Times in the event's own zone (the kiosk's clock may be set to anything), 24-hour.
export function timeOf(iso) {
  if (!iso) return "";
  const zone = state.kiosk && state.kiosk.event.timezone;
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    ...(zone ? { timeZone: zone } : {}) });
}

// ---------- the phone QR: a one-time link, only right after a badge scan ----------

export function showActivation(person, svg) {
  hideActivation();
  const image = $("activation-qr");
  image.src = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
  $("activation-name").textContent = person.first_name;
  $("activation").hidden = false;
  state.activationTimer = setTimeout(hideActivation, ACTIVATION_MS);
}

// Gone when the next person starts (a key, a touch, a scan) or after 30 seconds.
export function hideActivation() {
  clearTimeout(state.activationTimer);
  const image = $("activation-qr");
  if (image.src) URL.revokeObjectURL(image.src);
  image.removeAttribute("src");
  $("activation").hidden = true;
}

// ---------- feedback: full screen, colour, sound, gone in two seconds ----------

export function feedback(kind, title, name, detail, person = null) {
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
  // No code: someone already in, found by name at a self-service kiosk (no reprint there).
  if (checkedIn && state.kiosk.printing !== "off" && person.code) {
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

export function hideFeedback() {
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

// ---------- panels: name search and walk-ins ----------

export function openPanel(id) {
  $("search").hidden = id !== "search";
  $("walkin").hidden = id !== "walkin";
  $(id).scrollIntoView({ block: "start" });
  const first = $(id).querySelector("input");
  if (first) first.focus();
}

export function closePanels() {
  $("search").hidden = true;
  $("walkin").hidden = true;
  $("search-input").value = "";
  $("results").replaceChildren();
  focusScan();
}

export async function submitWalkIn(event) {
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
    checkIn({ code: person.code });
  };
}
