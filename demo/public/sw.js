// Caches the page's shell (HTML, scripts, styles) so that a reload at the instrument during a network
// outage still opens the page, which then resumes from IndexedDB. API requests are never cached.
const CACHE = "atomscale-stream-shell-v1";
const scope = new URL(self.registration.scope).pathname;

// Precache the shell and everything it names (scripts, module preloads, styles): the first load's own
// requests happened before this worker controlled the page, so they are not in the cache otherwise.
async function precache() {
  const cache = await caches.open(CACHE);
  const response = await fetch(scope, { cache: "no-store" });
  const html = await response.clone().text();
  await cache.put(scope, response);
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)]
    .map((m) => new URL(m[1], self.registration.scope))
    .filter((url) => url.origin === self.location.origin)
    .map((url) => url.href);
  await cache.addAll([...new Set(assets)]);
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim()),
  );
});

const isShell = (url, request) =>
  request.mode === "navigate" || url.pathname === scope || url.pathname.startsWith(`${scope}assets/`) || url.pathname.endsWith(".html") || url.pathname === `${scope}sw.js`;

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || !isShell(url, request)) return;
  // Network first (a new build shows at once); the cache when the network is gone.
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          void caches.open(CACHE).then((cache) => cache.put(request.mode === "navigate" ? scope : request, copy));
        }
        return response;
      })
      // Offline: the cached copy; the page itself for a navigation — never the page in place of a script.
      .catch(async () => (await caches.match(request.mode === "navigate" ? scope : request, { ignoreSearch: true })) ?? (request.mode === "navigate" ? await caches.match(scope) : undefined) ?? Response.error()),
  );
});
