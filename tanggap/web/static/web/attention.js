// Tanggap: what draws the eye to new citizen messages. While the tab is hidden, every message
// that comes in counts as unread: the tab's title starts with the count and the installed app's
// badge shows it (navigator.setAppBadge); both clear when the tab is looked at again. A short
// sound plays on each new message only if the operator turned it on (off by default; the
// choice is kept in this browser). Live events come from the desk's socket as `tanggap:event`.
(function () {
  "use strict";
  const toggle = document.getElementById("sound-toggle");
  const baseTitle = document.title;
  const SOUND_KEY = "tanggap.sound";
  let unread = 0, audio = null;

  function show() {
    document.title = unread ? `(${unread}) ${baseTitle}` : baseTitle;
    if ("setAppBadge" in navigator) {
      (unread ? navigator.setAppBadge(unread) : navigator.clearAppBadge()).catch(() => {});
    }
  }
  function soundOn() { return window.localStorage.getItem(SOUND_KEY) === "on"; }
  function paintToggle() {
    if (!toggle) return;
    const on = soundOn();
    toggle.textContent = on ? "🔊" : "🔇";
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    toggle.title = on ? toggle.dataset.on : toggle.dataset.off;
  }
  function beep() {
    if (!audio) return;
    const osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.12, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.25);
    document.documentElement.dataset.lastSound = String(Date.now());
  }
  if (toggle) {
    toggle.addEventListener("click", () => {
      window.localStorage.setItem(SOUND_KEY, soundOn() ? "off" : "on");
      // Browsers let a page play sound only after a click: the toggle is that click.
      if (soundOn() && !audio && window.AudioContext) audio = new AudioContext();
      paintToggle();
    });
    paintToggle();
  }
  window.addEventListener("tanggap:event", (e) => {
    const ev = e.detail;
    if (!ev || ev.kind !== "case" || ev.reason !== "inbound") return;
    if (document.hidden) { unread += 1; show(); }
    if (soundOn()) {
      if (!audio && window.AudioContext) audio = new AudioContext();
      beep();
    }
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && unread) { unread = 0; show(); }
  });
  window.TanggapAttention = {unread: () => unread};
})();
