// The dashboard's service worker: Web Push notifications from catalyst-monitor (--notify-push),
// a click that opens the alert's deep link, and an offline shell (the page, its script and styles
// from the cache when the monitor cannot be reached). The API and the SSE stream are never cached.
const CACHE = "catalyst-shell-v1";
// The monitor may require ?token= on every request; the worker was registered with it.
const QUERY = self.location.search;
const SHELL = ["/", "/assets/app.js", "/assets/styles.css", "/assets/favicon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => Promise.all(SHELL.map((path) => cache.add(`${path}${QUERY}`).catch(() => undefined))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  const shell = event.request.mode === "navigate" || url.pathname.startsWith("/assets/");
  if (!shell) return;
  // Network first: a live monitor always wins; the cache is only the offline shell.
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          const key = event.request.mode === "navigate" ? `/${QUERY}` : event.request.url;
          void caches.open(CACHE).then((cache) => cache.put(key, copy));
        }
        return response;
      })
      .catch(() =>
        caches
          .match(event.request.mode === "navigate" ? "/" : event.request, { ignoreSearch: true })
          .then(
            (hit) =>
              hit ?? new Response("offline", { status: 503, headers: { "content-type": "text/plain" } }),
          ),
      ),
  );
});

self.addEventListener("push", (event) => {
  let data = { title: "Catalyst alert", body: "", url: null, tag: undefined };
  try {
    data = { ...data, ...event.data.json() };
  } catch {
    // a push without a JSON payload: show the generic title
  }
  event.waitUntil(
    self.registration.showNotification(data.title, {
      body: data.body,
      tag: data.tag,
      data: { url: data.url },
      requireInteraction: data.severity === "critical",
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = event.notification.data?.url ?? `/${QUERY}`;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const w of windows)
        if (new URL(w.url).origin === self.location.origin && "focus" in w)
          return w.navigate(target).then((c) => c?.focus());
      return self.clients.openWindow(target);
    }),
  );
});
