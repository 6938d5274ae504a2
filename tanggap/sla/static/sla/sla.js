// SLA clocks, live: every half minute, each clock on the page whose warning or due time has
// come turns amber or red without waiting for the server (the periodic check then records it
// and the page refreshes with the news).
(function () {
  "use strict";
  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-sla-due]").forEach((el) => {
      const state = el.dataset.slaState;
      if (state === "paused" || state === "met" || state === "breached") return;
      const due = el.dataset.slaDue ? Date.parse(el.dataset.slaDue) : NaN;
      const warn = el.dataset.slaWarn ? Date.parse(el.dataset.slaWarn) : NaN;
      let next = state;
      if (!isNaN(due) && due <= now) next = "breached";
      else if (!isNaN(warn) && warn <= now) next = "warn";
      if (next !== state) {
        el.classList.remove("sla-" + state);
        el.classList.add("sla-" + next);
        el.dataset.slaState = next;
      }
    });
  }
  tick();
  setInterval(tick, 30000);
  // The inbox swaps its rows in: look again after each swap.
  new MutationObserver(tick).observe(document.body, {childList: true, subtree: true});
})();
