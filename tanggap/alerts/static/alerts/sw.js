// Tanggap's service worker: shows the desk's pushed alerts and opens the case when one is
// tapped. It caches nothing: a desk showing a stale claim would invite a second answer.
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {body: event.data.text()}; }
  const title = data.title || "Tanggap";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.tag || undefined,
    data: {url: data.url || "/"},
    icon: "/static/alerts/icon-192.png",
    badge: "/static/alerts/icon-192.png",
    requireInteraction: false,
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL((event.notification.data && event.notification.data.url) || "/",
                      self.location.origin);
  if (url.origin !== self.location.origin) return;  // only ever open the desk itself
  event.waitUntil((async () => {
    const open = await self.clients.matchAll({type: "window", includeUncontrolled: true});
    for (const client of open) {
      if (client.url === url.href && "focus" in client) return client.focus();
    }
    return self.clients.openWindow(url.href);
  })());
});
