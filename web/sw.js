// Seedvox service worker. build.py injects the build id (content hash) and the precache list.
// Every precached file is served from this build's cache, so a deployment is atomic: the page
// runs entirely on one build until the user accepts "Update available".
const CACHE = "seedvox-__BUILD_ID__";
const PRECACHE = __PRECACHE__;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      // no-cache: never fill a new build's cache from a stale HTTP cache entry.
      cache.addAll(PRECACHE.map((path) => new Request(path, { cache: "no-cache" })))
    )
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith("seedvox-") && key !== CACHE).map((key) => caches.delete(key))
      ))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  event.respondWith(respond(request));
});

async function respond(request) {
  const cache = await caches.open(CACHE);
  // The app routes in the #fragment, so every navigation is the shell.
  const key = request.mode === "navigate" ? new URL("./", self.registration.scope).href : request;
  const hit = await cache.match(key, { ignoreSearch: request.mode === "navigate" });
  if (hit) return hit;
  return fetch(request);
}
