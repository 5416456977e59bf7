// Headshot mode (staffed kiosks): scan a badge, the camera counts down and takes the photo,
// the person sees it and chooses Keep (uploaded, attached to them) or Retake. The photo
// never leaves this page unless kept, and is sent as the camera took it (full size JPEG).

import { $, api, eventPath, state } from "./api.js";
import { feedback } from "./screen.js";

const COUNTDOWN_SECONDS = 3;
const JPEG_QUALITY = 0.92;
const UPLOAD_TIMEOUT_MS = 20000;  // a full-size photo over venue Wi-Fi takes longer than a scan

export function toggleHeadshots() {
  const on = !state.headshots;
  if (!on) closeBooth();
  state.headshots = on ? { sitter: null, stream: null, still: null, timer: null } : null;
  $("headshot-button").setAttribute("aria-pressed", String(on));
  $("headshot-button").textContent = on ? "Stop headshots" : "Headshots";
  $("scan-prompt").textContent = on ? "Headshots: scan the badge" : "Scan a badge";
  $("scan").focus();
}

// A badge read in headshot mode: whose is it? Unknown or revoked: red, and ready again.
export async function headshotScan(text) {
  if (state.headshots.sitter) return;  // someone is having their photo taken
  const code = text.split("/").filter(Boolean).pop() || "";  // a badge's URL ends with its code
  try {
    const response = await api(eventPath(`headshots/${encodeURIComponent(code)}`));
    const body = await response.json();
    if (response.status === 404) return feedback("error", "Unknown badge", "", body.message || "");
    if (!response.ok) return feedback("error", "No photo taken", "", body.message || "");
    openBooth(body.attendee);
  } catch (error) {
    feedback("error", "No photo taken", "", "Headshots need the server, which cannot be reached right now.");
  }
}

async function openBooth(person) {
  const booth = state.headshots;
  booth.sitter = person;
  $("headshot-name").textContent = `${person.first_name} ${person.last_name}`.trim();
  $("headshot-note").textContent = person.has_photo ? "Keeping a new photo replaces the one on file." : "";
  $("headshot").hidden = false;
  try {
    booth.stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "user", width: { ideal: 1920 }, height: { ideal: 1080 } } });
    $("headshot-video").srcObject = booth.stream;
    await $("headshot-video").play();
    countDown();
  } catch (error) {
    closeBooth();
    feedback("error", "No camera", "", "The camera is not available (the page needs HTTPS or localhost, and permission).");
  }
}

function countDown() {
  const booth = state.headshots;
  showStill(null);
  let left = COUNTDOWN_SECONDS;
  $("headshot-count").textContent = String(left);
  clearInterval(booth.timer);
  booth.timer = setInterval(() => {
    left -= 1;
    $("headshot-count").textContent = left > 0 ? String(left) : "";
    if (left <= 0) {
      clearInterval(booth.timer);
      capture();
    }
  }, 1000);
}

async function capture() {
  const video = $("headshot-video");
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  showStill(await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY)));
}

// null: the live camera, counting down; a Blob: the photo taken, with Keep and Retake.
function showStill(blob) {
  const booth = state.headshots;
  const image = $("headshot-still");
  if (image.src) URL.revokeObjectURL(image.src);
  booth.still = blob;
  image.hidden = !blob;
  $("headshot-video").hidden = Boolean(blob);
  $("headshot-choices").hidden = !blob;
  if (blob) image.src = URL.createObjectURL(blob);
  else image.removeAttribute("src");
}

async function keep() {
  const booth = state.headshots;
  const person = booth.sitter;
  const name = `${person.first_name} ${person.last_name}`.trim();
  $("headshot-choices").hidden = true;
  try {
    const response = await api(eventPath(`headshots/${encodeURIComponent(person.code)}`), {
      method: "POST", body: booth.still, headers: { "Content-Type": "image/jpeg" }, timeout: UPLOAD_TIMEOUT_MS });
    const body = await response.json();
    closeBooth();
    if (response.status === 201) feedback("ok", "Photo saved", name, `${body.width} × ${body.height} pixels`);
    else feedback("error", "Photo not saved", name, body.message || "");
  } catch (error) {
    $("headshot-choices").hidden = false;
    feedback("error", "Photo not saved", name, "The server cannot be reached. Try Keep again in a moment.");
  }
}

function closeBooth() {
  const booth = state.headshots;
  $("headshot").hidden = true;
  if (!booth) return;
  clearInterval(booth.timer);
  if (booth.stream) booth.stream.getTracks().forEach((track) => track.stop());
  showStill(null);
  Object.assign(booth, { sitter: null, stream: null, still: null, timer: null });
  $("scan").focus();
}

export function wireHeadshots() {
  $("headshot-button").addEventListener("click", toggleHeadshots);
  $("headshot-keep").addEventListener("click", keep);
  $("headshot-retake").addEventListener("click", countDown);
  $("headshot-cancel").addEventListener("click", closeBooth);
}
