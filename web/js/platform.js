// Browser platform adapter: service worker updates, storage persistence, object URLs, and
// the boot handshake with js/boot.js. No app logic lives here.

export function markReady() {
  document.documentElement.dataset.state = "ready";
  document.getElementById("app")?.setAttribute("aria-busy", "false");
}

export function bootFailed(message) {
  window.dispatchEvent(new CustomEvent("seedvox:boot-error", { detail: message }));
}

export function isSecureContext() {
  return window.isSecureContext === true;
}

export async function persistStorage() {
  if (!navigator.storage?.persist) return false;
  if (await navigator.storage.persisted()) return true;
  return navigator.storage.persist();
}

export async function loadConfig() {
  const response = await fetch(new URL("./config.json", document.baseURI));
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  return response.json();
}

/**
 * Register the service worker; call `onUpdate()` when a new build is installed and waiting.
 * Returns a function that activates the waiting build and reloads once it controls the page.
 */
export async function registerServiceWorker(onUpdate) {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return null;
  const registration = await navigator.serviceWorker.register(new URL("./sw.js", document.baseURI));
  const hadController = Boolean(navigator.serviceWorker.controller);
  const announce = (worker) => {
    if (!worker) return;
    const check = () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) onUpdate();
    };
    worker.addEventListener("statechange", check);
    check();
  };
  if (registration.waiting && hadController) onUpdate();
  else if (registration.installing && hadController) announce(registration.installing);
  registration.addEventListener("updatefound", () => announce(registration.installing));
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (hadController && !reloading) { reloading = true; location.reload(); }
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") registration.update().catch(() => {});
  });
  return () => {
    if (registration.waiting) registration.waiting.postMessage("skip-waiting");
    else location.reload();
  };
}

export function objectUrl(blob) {
  return URL.createObjectURL(blob);
}

export function revokeUrl(url) {
  URL.revokeObjectURL(url);
}

/** Resolves once the page has nothing more urgent to do: long background work (re-seeding a
 * large library) awaits it between steps, so that a click is never queued behind it. */
export function yieldToUser() {
  if (globalThis.scheduler?.postTask) return scheduler.postTask(() => {}, { priority: "background" });
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A Blob made of parts (Uint8Arrays, Blobs) without copying the Blobs' bytes. */
export function joinBlobs(parts, type = "") {
  return new Blob(parts, { type });
}

export function sliceBlob(blob, start, end, type = "") {
  return blob.slice(start, end, type);
}

/** The bytes of a small slice (headers only; audio is never read into Python). */
export async function readBytes(blob, start, end) {
  return new Uint8Array(await blob.slice(start, end).arrayBuffer());
}

export async function copyText(text) {
  await navigator.clipboard.writeText(text);
}

export function canShareLinks() {
  return typeof navigator.share === "function";
}

export async function shareLink(title, url) {
  await navigator.share({ title, url });
}

export function pageUrl() {
  return location.href;
}

/** Duration in seconds of an audio Blob, from the browser's own demuxer; 0 if unknown.
 * WebM without a duration field reports Infinity until it is seeked past the end. */
export function probeDuration(blob, timeoutMs = 8000) {
  return new Promise((resolve) => {
    const audio = new Audio();
    const url = URL.createObjectURL(blob);
    const finish = (value) => {
      clearTimeout(timer);
      audio.removeAttribute("src");
      audio.load();
      URL.revokeObjectURL(url);
      resolve(Number.isFinite(value) ? value : 0);
    };
    const timer = setTimeout(() => finish(0), timeoutMs);
    audio.preload = "metadata";
    audio.onerror = () => finish(0);
    audio.onloadedmetadata = () => {
      if (Number.isFinite(audio.duration)) return finish(audio.duration);
      audio.ondurationchange = () => { if (Number.isFinite(audio.duration)) finish(audio.duration); };
      audio.currentTime = 1e9;
    };
    audio.src = url;
  });
}

/** Save a Blob as a file through the browser's download (e.g. a recording storage refused). */
export function downloadBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
