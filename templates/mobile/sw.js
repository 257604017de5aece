/* The field app's service worker (docs/MOBILE.md), served at /m/sw.js so that its scope is /m/.
   Workbox from npm, vendored (scripts/vendor.sh). Version {{ version }}: the cache names carry it, so a deployment
   with changed files installs a new worker; it waits until the user confirms "Update now" (SKIP_WAITING). */
importScripts("{{ workbox_sw }}");
workbox.setConfig({ modulePathPrefix: "{{ workbox }}", debug: false });

const VERSION = "{{ version }}";
const OFFLINE_MAP = "geoapp-m-offline-map"; // the user's downloaded street: kept across versions until removed
const DATA = `geoapp-m-data-${VERSION}`;

workbox.core.setCacheNameDetails({ prefix: "geoapp-m", suffix: VERSION });
workbox.precaching.cleanupOutdatedCaches();
workbox.precaching.precacheAndRoute({{ shell_json|safe }}.map((url) => ({ url, revision: VERSION })));

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});
self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    // Every cache of an older version (precache, data): the names end with the version. Workbox's own clean-up
    // only knows names that carry the scope, and ours carry the version instead.
    for (const name of await caches.keys()) {
      if (name.startsWith("geoapp-m-") && name !== OFFLINE_MAP && !name.endsWith(`-${VERSION}`)) {
        await caches.delete(name);
      }
    }
    await self.clients.claim();
  })());
});

// The page itself: the network when there is one, else the copy from the last visit.
workbox.routing.registerRoute(
  ({ request, url }) => request.mode === "navigate" && url.pathname === "{{ page }}",
  new workbox.strategies.NetworkFirst({ cacheName: DATA, networkTimeoutSeconds: 6 }),
);
// Nearby lists and search answers: the network first, the last answer without signal.
workbox.routing.registerRoute(
  ({ url }) => url.pathname.startsWith("{{ page }}nearby/") || url.pathname.startsWith("/api/search/")
    || url.pathname.startsWith("/api/address-match/"),
  new workbox.strategies.NetworkFirst({ cacheName: DATA, networkTimeoutSeconds: 6 }),
);
// Map tiles: the downloaded offline map first, else the network (nothing else is kept).
workbox.routing.registerRoute(
  ({ url }) => url.pathname.startsWith("/tiles/"),
  async ({ request }) => {
    const cache = await caches.open(OFFLINE_MAP);
    // Tiles vary by Accept-Encoding; the stored copy is already decoded, so any encoding matches.
    const hit = await cache.match(request, { ignoreVary: true });
    if (hit) return hit;
    return fetch(request);
  },
);
