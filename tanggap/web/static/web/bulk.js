// Tanggap: bulk actions on the inbox's selected rows: close as spam, set the topic, assign to a
// colleague (the roster's hand-over). Each case goes through the same REST v1 action as one at a
// time, with its own rules and audit event; the bar says how many were done and why others were
// refused. The selection survives the live re-rendering of the rows.
(function () {
  "use strict";
  const bar = document.getElementById("bulk");
  const rows = document.getElementById("rows");
  if (!bar || !rows) return;
  const T = window.Tanggap;
  const picked = new Set();

  function paint() {
    rows.querySelectorAll(".pick").forEach((box) => {
      box.checked = picked.has(box.dataset.caseId);
    });
    bar.hidden = picked.size === 0;
    document.getElementById("bulk-count").textContent = String(picked.size);
  }
  rows.addEventListener("change", (e) => {
    if (!e.target.classList.contains("pick")) return;
    if (e.target.checked) picked.add(e.target.dataset.caseId);
    else picked.delete(e.target.dataset.caseId);
    paint();
  });
  new MutationObserver(paint).observe(rows, {childList: true, subtree: false});

  async function each(steps) {
    let done = 0;
    const refused = [];
    for (const id of Array.from(picked)) {
      let failed = null;
      for (const [path, body] of steps) {
        const r = await T.call("POST", `/api/v1/cases/${id}${path}`, body);
        if (r.status >= 400) { failed = r.data.message || r.data.error; break; }
      }
      if (failed) {
        const row = rows.querySelector(`.case-row[data-case-id="${id}"] .track`);
        refused.push(`${row ? row.textContent : id}: ${failed}`);
      } else {
        done += 1;
        picked.delete(id);
      }
    }
    let text = bar.dataset.done.replace("{n}", done);
    if (refused.length) text += " " + bar.dataset.refused.replace("{n}", refused.length) + " " + refused.join("; ");
    T.say(text, refused.length > 0);
    window.dispatchEvent(new Event("tanggap:refresh"));
    paint();
  }
  bar.addEventListener("click", (e) => {
    if (e.target.id === "bulk-spam") {
      each([["/triage", {intent: "spam"}], ["/status", {status: "ditutup"}]]);
    } else if (e.target.id === "bulk-topic-go") {
      each([["/triage", {topic: document.getElementById("bulk-topic").value}]]);
    } else if (e.target.id === "bulk-assign-go") {
      each([["/handover", {to: document.getElementById("bulk-assign").value, note: ""}]]);
    } else if (e.target.id === "bulk-clear") {
      picked.clear();
      paint();
    }
  });
})();
