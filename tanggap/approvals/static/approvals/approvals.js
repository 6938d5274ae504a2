// Tanggap approvals: the supervisor's queue (approve as written or edited, reject with a note,
// through REST v1) and, on every desk page, the live outcome for the operator who wrote the reply.
// Live events arrive from the desk's socket (web/desk.js) as `tanggap:event`.
(function () {
  "use strict";
  const post = (path, body) => window.Tanggap.call("POST", path, body || {});
  const say = window.Tanggap.say;
  const strings = document.getElementById("approval-strings");
  const S = strings ? strings.dataset : {};
  const desk = document.getElementById("desk");
  const me = desk ? desk.dataset.user : null;

  // ---- the queue ------------------------------------------------------------------------------
  const queue = document.getElementById("approval-queue");
  async function reloadRows() {
    if (!queue) return;
    // A supervisor editing a reply keeps their words: the list is reloaded after they decide.
    const active = document.activeElement;
    if (active && active.classList.contains("approval-text") && active.value !== active.dataset.original) return;
    const res = await fetch(queue.dataset.rowsUrl, {credentials: "same-origin"});
    if (res.ok) document.getElementById("approval-rows").innerHTML = await res.text();
  }
  if (queue) {
    queue.addEventListener("click", async (e) => {
      const card = e.target.closest("[data-approval-id]");
      if (!card) return;
      const id = card.dataset.approvalId;
      if (e.target.classList.contains("approve")) {
        const box = card.querySelector(".approval-text");
        const body = box && box.value !== box.dataset.original ? {text: box.value} : {};
        e.target.disabled = true;
        const r = await post("/api/v1/approvals/" + id + "/approve", body);
        if (r.status === 200) say(S.approved || "OK");
        else say(r.data.message || r.data.error, true);
        e.target.disabled = false;
        if (box) box.dataset.original = box.value;
        reloadRows();
      } else if (e.target.classList.contains("reject")) {
        const note = window.prompt(queue.dataset.rejectNote, "");
        if (note === null) return;
        const r = await post("/api/v1/approvals/" + id + "/reject", {note});
        if (r.status === 200) say(S.rejected || "OK");
        else say(r.data.message || r.data.error, true);
        reloadRows();
      }
    });
  }

  // ---- live ------------------------------------------------------------------------------------
  const nav = document.getElementById("approvals-nav");
  function setCount(n) {
    if (!nav) return;
    nav.dataset.count = String(Math.max(n, 0));
    let badge = nav.querySelector(".held-count");
    if (n > 0 && !badge) {
      badge = document.createElement("span");
      badge.className = "badge held-count";
      nav.append(" ", badge);
    }
    if (badge) {
      if (n > 0) badge.textContent = String(n); else badge.remove();
    }
  }
  window.addEventListener("tanggap:event", (e) => {
    const ev = e.detail;
    if (!ev || ev.kind !== "approval") return;
    const waiting = ev.status === "menunggu_persetujuan";
    if (nav) setCount(parseInt(nav.dataset.count || "0", 10) + (waiting ? 1 : -1));
    reloadRows();
    if (!waiting && ev.requested_by === me && ev.decided_by !== me) {
      const text = (ev.status === "disetujui" ? S.yoursApproved : S.yoursRejected) || "";
      say(text.replace("{name}", ev.decided_by_name || ev.decided_by || "") +
          (ev.note ? " — " + ev.note : ""), ev.status !== "disetujui");
    }
  });
})();
