// Tanggap: the split view. On a wide screen the case page keeps the inbox beside the case (the
// same filters as the inbox last used in this tab), live, with the open case marked; the
// citizen's cases on every channel sit on the case's other side (CSS). On a phone, nothing.
(function () {
  "use strict";
  const desk = document.getElementById("desk");
  if (!desk) return;
  const KEY = "tanggap.inboxQuery";
  if (desk.dataset.page === "inbox") {
    window.sessionStorage.setItem(KEY, window.location.search);
    return;
  }
  const side = document.getElementById("side-list");
  if (desk.dataset.page !== "case" || !side) return;
  const wide = window.matchMedia("(min-width: 1200px)");
  async function load() {
    side.hidden = !wide.matches;
    desk.classList.toggle("split", wide.matches);
    if (!wide.matches) return;
    const res = await fetch(side.dataset.rowsUrl + (window.sessionStorage.getItem(KEY) || ""),
                            {credentials: "same-origin"});
    if (!res.ok) return;
    side.innerHTML = await res.text();
    const current = side.querySelector(`.case-row[data-case-id="${desk.dataset.caseId}"]`);
    if (current) current.classList.add("current");
  }
  load();
  wide.addEventListener("change", load);
  let timer = null;
  window.addEventListener("tanggap:event", (e) => {
    if (!e.detail || e.detail.kind !== "case") return;
    clearTimeout(timer);
    timer = setTimeout(load, 300);
  });
})();
