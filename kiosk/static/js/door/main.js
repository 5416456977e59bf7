// The check-in kiosk: scanner and camera input, name search, walk-ins, badge printing,
// and an offline queue (one module each). Talks only to this server's JSON API, with the
// kiosk's bearer token. No framework and nothing from a CDN: kiosks run on venue Wi-Fi, or none.
// This module sets the kiosk up and wires the page.

import { $, api, state } from "./api.js";
import { toggleCamera } from "./camera.js";
import { wireHeadshots } from "./headshot.js";
import { checkHealth, startSyncing } from "./queue.js";
import { focusScan, onScanKey, onSearchInput, togglePairing } from "./scanner.js";
import { closePanels, hideActivation, hideFeedback, openPanel, submitWalkIn } from "./screen.js";

const TOKEN_KEY = "kiosk-token";

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
  focusScan();
  startSyncing();
}

function wire() {
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
  wireHeadshots();
  $("feedback").addEventListener("click", (event) => { if (event.target.id !== "reprint-button") hideFeedback(); });
  // The next person starting (any key, any touch) takes the last person's phone QR away.
  document.addEventListener("keydown", hideActivation, true);
  document.addEventListener("pointerdown", hideActivation, true);
  window.addEventListener("online", checkHealth);
  start();
}

wire();  // a module runs once the page is parsed, like a deferred script
