// Benchmark baseline service worker: precaches the page and Pyodide's five runtime files and
// serves them cache-first, the way web/sw.js serves the app (same cache mode, same lookups).
const CACHE = "bench-pyodide";
const PRECACHE = [
  "./pyodide.html",
  "./pyodide/pyodide.mjs",
  "./pyodide/pyodide.asm.mjs",
  "./pyodide/pyodide.asm.wasm",
  "./pyodide/python_stdlib.zip",
  "./pyodide/pyodide-lock.json",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      cache.addAll(PRECACHE.map((path) => new Request(path, { cache: "no-cache" })))
    )
  );
});

self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  if (event.request.method !== "GET") return;
  if (new URL(event.request.url).origin !== self.location.origin) return;
  event.respondWith(respond(event.request));
});

async function respond(request) {
  const cache = await caches.open(CACHE);
  const key = request.mode === "navigate" ? new URL("./pyodide.html", self.registration.scope).href : request;
  return (await cache.match(key, { ignoreSearch: request.mode === "navigate" })) ?? fetch(request);
}
