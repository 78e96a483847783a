// The app's service worker: keeps the app shell (every file the app needs to start) so it opens
// with no network, in a stairwell or a basement. The shell is fetched from the network first, so
// a new deploy is seen at once; when the network is gone, or slower than SLOW_MS, the kept copy
// answers. API calls are not touched: the pages keep the data they need (store.js) and queue
// their writes (outbox.js). SHELL must list every file under web/app and web/common the app
// loads (tests/test_web_app.py checks it against the folders).
const CACHE = "gridgov-app-v1";
const SLOW_MS = 3000;
const SHELL = [
  "./",
  "manifest.webmanifest",
  "css/app.css",
  "icons/icon-192.png",
  "icons/icon-512.png",
  "icons/maskable-512.png",
  "icons/tab-me.svg",
  "icons/tab-mine.svg",
  "icons/tab-notices.svg",
  "icons/tab-patrol.svg",
  "icons/tab-report.svg",
  "icons/tab-tasks.svg",
  "icons/tab-visits.svg",
  "js/device.js",
  "js/main.js",
  "js/mine.js",
  "js/outbox.js",
  "js/patrol.js",
  "js/report.js",
  "js/store.js",
  "js/sync.js",
  "js/tasks.js",
  "js/ui.js",
  "js/visits.js",
  "common/js/api.js",
  "common/js/dom.js",
  "common/js/login.js",
];

self.addEventListener("install", (event) => {
  // The API goes straight to the network without waking this worker, where the browser can say so
  // (the Service Worker Static Routing API); elsewhere the fetch handler below lets it pass.
  if (event.addRoutes) {
    event.addRoutes({condition: {urlPattern: new URLPattern({pathname: "/api/*"})}, source: "network"});
  }
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
    .then(() => self.clients.claim()));
});

function shellRequest(request) {
  const url = new URL(request.url);
  const scope = new URL(self.registration.scope);
  return request.method === "GET" && url.origin === scope.origin && url.pathname.startsWith(scope.pathname);
}

async function fromNetworkOrKept(request) {
  const cache = await caches.open(CACHE);
  const key = request.mode === "navigate" ? new URL("./", self.registration.scope).href : request;
  const network = fetch(request).then((response) => {
    if (response.ok) cache.put(key, response.clone());
    return response;
  });
  const kept = await cache.match(key, {ignoreSearch: true});
  if (!kept) return network;
  const slow = new Promise((resolve) => { setTimeout(() => resolve(kept), SLOW_MS); });
  return Promise.race([network.catch(() => kept), slow]);
}

self.addEventListener("fetch", (event) => {
  if (!shellRequest(event.request)) return;  // the API and everything else: straight to the network
  event.respondWith(fromNetworkOrKept(event.request));
});
