// Boot watchdog: the shell must say plainly why Python never came up, instead of hanging.
// It owns no app logic; Python marks <html data-state="ready"> when it has started.
const BOOT_TIMEOUT_MS = 15000;
const root = document.documentElement;
const message = () => document.getElementById("boot-message");

function fail(text) {
  if (root.dataset.state === "ready") return;
  root.dataset.state = "failed";
  const el = message();
  if (!el) return;
  el.textContent = text;
  el.classList.add("error");
  el.setAttribute("role", "alert");
  document.getElementById("app")?.setAttribute("aria-busy", "false");
}

async function diagnose() {
  const wasm = new URL("./vendor/pyodide/pyodide.asm.wasm", document.baseURI);
  try {
    const response = await fetch(wasm, { method: "HEAD", cache: "no-store" });
    if (!response.ok) return `Seedvox could not start: ${wasm.pathname} is missing (HTTP ${response.status}).`;
    const type = response.headers.get("content-type") || "none";
    if (!type.startsWith("application/wasm")) {
      return `Seedvox could not start: the server sends pyodide.asm.wasm as "${type}"; it must be served as application/wasm.`;
    }
  } catch {
    return "Seedvox could not start: its runtime files could not be loaded. Check your connection and reload.";
  }
  return "Seedvox could not start: the Python runtime did not load in time. Reload to try again.";
}

if (!window.isSecureContext) {
  // Not fatal: memos can still be played. Python repeats this in the status area once up.
  const el = message();
  if (el) {
    el.textContent = "Seedvox needs a secure connection: open it over HTTPS (or on localhost). " +
      "The microphone, offline use and sharing are not available on plain HTTP.";
    el.setAttribute("role", "alert");
  }
}

window.addEventListener("error", (event) => {
  const target = event.target;
  if (target && target !== window && (target.src || target.href)) {
    fail(`Seedvox could not start: ${target.src || target.href} did not load.`);
  }
}, true);

window.addEventListener("seedvox:boot-error", (event) => {
  fail(`Seedvox could not start: ${event.detail}`);
});

setTimeout(async () => {
  if (root.dataset.state === "ready" || root.dataset.state === "failed") return;
  fail(await diagnose());
}, BOOT_TIMEOUT_MS);
