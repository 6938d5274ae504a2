// Registers the desk's service worker (root scope, so the desk installs as an app) and, on the
// alerts page, subscribes this browser to pushes with the desk's VAPID key.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  const ready = navigator.serviceWorker.register("/sw.js", {scope: "/"});
  window.tanggapServiceWorker = ready;

  function keyBytes(base64url) {
    const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4);
    const raw = atob(padded);
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }
  function csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  async function send(method, body) {
    const res = await fetch("/alerts/subscription", {
      method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
      body: JSON.stringify(body),
    });
    return res;
  }
  document.addEventListener("click", async (e) => {
    const button = e.target.closest("[data-push]");
    if (!button) return;
    const state = document.getElementById("push-state");
    const page = document.getElementById("alerts-page");
    try {
      const registration = await ready;
      await navigator.serviceWorker.ready;
      if (button.dataset.push === "on") {
        const permission = await Notification.requestPermission();
        if (permission !== "granted") { state.textContent = page.dataset.denied; return; }
        const sub = await registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyBytes(page.dataset.key)});
        const res = await send("POST", sub.toJSON());
        state.textContent = res.ok ? page.dataset.on : (await res.json()).message;
      } else {
        const sub = await registration.pushManager.getSubscription();
        if (sub) { await send("DELETE", {endpoint: sub.endpoint}); await sub.unsubscribe(); }
        state.textContent = page.dataset.off;
      }
    } catch (err) {
      state.textContent = page.dataset.failed + " (" + err.name + ")";
    }
  });
})();
