// Tanggap referrals: refer a case, use the body's ready draft, close the loop, incidents.
// Writes go through REST v1 (session + CSRF); the case panel re-renders on live events.
(function () {
  "use strict";
  function csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  async function post(path, body) {
    const res = await fetch(path, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
      body: JSON.stringify(body || {})});
    let data = {};
    try { data = await res.json(); } catch (e) { /* empty */ }
    return {status: res.status, data};
  }
  function say(text, isError) {
    const t = document.getElementById("toast");
    if (!t) return;
    t.textContent = text;
    t.className = isError ? "show error" : "show";
    setTimeout(() => { t.className = ""; }, isError ? 8000 : 3000);
  }
  function key() { return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random(); }
  const desk = document.getElementById("desk");
  let referKey = null, linkedKey = null;

  document.addEventListener("click", async (e) => {
    const el = e.target;
    if (el.id === "refer" && desk) {
      if (!referKey) referKey = key();
      const body = {body_id: parseInt(document.getElementById("refer-body").value, 10),
                    note: document.getElementById("refer-note").value, idempotency_key: referKey};
      if (document.getElementById("refer-tell").checked) body.citizen_reply = document.getElementById("refer-reply").value;
      const r = await post(desk.dataset.api + "/referrals", body);
      if (r.status === 201 || r.status === 200) { referKey = null; say(el.dataset.done || "OK"); }
      else say(r.data.message || r.data.error, true);
      window.dispatchEvent(new Event("tanggap:refresh"));
    } else if (el.classList.contains("use-draft")) {
      const box = document.getElementById("reply-text");
      if (box) { box.value = el.dataset.draft; box.dispatchEvent(new Event("input", {bubbles: true})); box.focus(); }
    } else if (el.id === "close-referred" && desk) {
      const head = document.querySelector(".case-head");
      const r = await post(desk.dataset.api + "/referrals/close",
        {text: el.dataset.draft, idempotency_key: key(), base_version: parseInt(head.dataset.version, 10)});
      if (r.status >= 400) say(r.data.message || r.data.error, true);
      window.dispatchEvent(new Event("tanggap:refresh"));
    } else if ((el.id === "hand-over" || el.id === "take-back") && desk) {
      const head = document.querySelector(".case-head");
      const r = el.id === "hand-over"
        ? await post(desk.dataset.api + "/conversation/hand-over",
            {note: document.getElementById("hand-over-note").value, base_version: parseInt(head.dataset.version, 10)})
        : await post(desk.dataset.api + "/conversation/take-back",
            {note: document.getElementById("take-back-note").value});
      if (r.status >= 400) say(r.data.message || r.data.error, true);
      window.dispatchEvent(new Event("tanggap:refresh"));
    } else if (el.id === "linked-reply" && desk) {
      // One key per reply until it is sent: pressing again after a lost answer sends nothing new.
      if (!linkedKey) linkedKey = key();
      const box = document.getElementById("linked-reply-text");
      const r = await post(desk.dataset.api + "/linked-conversation", {text: box.value, idempotency_key: linkedKey});
      if (r.status === 201 || r.status === 200) { linkedKey = null; box.value = ""; say(el.dataset.done || "OK"); }
      else say(r.data.message || r.data.error, true);
      window.dispatchEvent(new Event("tanggap:refresh"));
    } else if (el.classList.contains("copy")) {
      el.select();
    } else if (el.classList.contains("confirm-incident")) {
      const form = el.closest(".cluster");
      const ids = form.dataset.caseIds.split(",").map((x) => parseInt(x, 10));
      const r = await post("/api/v1/incidents", {case_ids: ids, title: form.querySelector("input[name=title]").value});
      if (r.status === 201) window.location.reload(); else say(r.data.message || r.data.error, true);
    } else if (el.classList.contains("announce") || el.classList.contains("resolve")) {
      const art = el.closest(".incident");
      const text = art.querySelector(".announce-text").value;
      const path = "/api/v1/incidents/" + art.dataset.incidentId + (el.classList.contains("resolve") ? "/resolve" : "/replies");
      if (!art.dataset.key) art.dataset.key = key();
      const r = await post(path, {text, idempotency_key: art.dataset.key});
      if (r.status === 201 || r.status === 200) { delete art.dataset.key; say("✓ " + r.data.sent); window.location.reload(); }
      else say(r.data.message || r.data.error, true);
    }
  });
})();
