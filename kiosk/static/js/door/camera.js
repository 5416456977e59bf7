// The camera as a scanner: the browser's BarcodeDetector where there is one, else frames
// sent to the server's decoder (zxing-cpp), a few times a second.

import { $, api, eventPath, state } from "./api.js";
import { focusScan, handleScan } from "./scanner.js";

const CAMERA_EVERY_MS = 300;

export async function toggleCamera() {
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
