// Tanggap desk: live updates, presence, claim/reply through REST v1, keyboard shortcuts.
// No framework: the server renders HTML fragments; this file only fetches and swaps them.
(function () {
  "use strict";
  const desk = document.getElementById("desk");
  if (!desk) return;
  const S = document.getElementById("strings").dataset;
  const slug = desk.dataset.slug, page = desk.dataset.page, me = desk.dataset.user;
  const caseId = desk.dataset.caseId ? parseInt(desk.dataset.caseId, 10) : null;
  const presence = new Map(); // case id -> Map(user -> {state, at})
  const PRESENCE_TTL = 25000;

  function csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function toast(text, isError) {
    const t = document.getElementById("toast");
    t.textContent = text;
    t.className = isError ? "show error" : "show";
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.className = ""; }, isError ? 8000 : 3000);
  }
  async function api(path, body) {
    const res = await fetch(path, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await res.json(); } catch (e) { /* empty body */ }
    return {status: res.status, data};
  }

  // ---- fragments -------------------------------------------------------------------------
  let refreshTimer = null;
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 60);
  }
  async function refresh() {
    if (page === "inbox") {
      const url = desk.dataset.rowsUrl + window.location.search;
      const res = await fetch(url, {credentials: "same-origin"});
      if (res.ok) {
        const focused = document.activeElement && document.activeElement.closest(".case-row");
        const focusedId = focused ? focused.dataset.caseId : null;
        document.getElementById("rows").innerHTML = await res.text();
        if (focusedId) {
          const row = document.querySelector(`.case-row[data-case-id="${focusedId}"]`);
          if (row) row.focus();
        }
        renderPresence();
      }
    } else if (page === "case") {
      const res = await fetch(desk.dataset.panelUrl, {credentials: "same-origin"});
      if (res.ok) {
        const html = await res.text();
        keepingEdits(document.getElementById("panel"), (panel) => { panel.innerHTML = html; });
        const head = document.querySelector(".case-head");
        const reply = document.getElementById("reply-text");
        // With nothing drafted there is nothing to protect: take the version on screen.
        if (head && reply && !reply.value.trim()) baseVersion = parseInt(head.dataset.version, 10);
        syncComposer();
        renderPresence();
      }
    }
  }

  // A live event renders the case panel again; what the operator was typing in it (a note for
  // the body, a chosen body, a ticked box) and where the cursor was must survive that.
  function keepingEdits(container, swap) {
    const kept = [];
    container.querySelectorAll("input[id], textarea[id], select[id]").forEach((el) => {
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked !== el.defaultChecked) kept.push([el.id, "checked", el.checked]);
      } else if (el.tagName === "SELECT") {
        if (Array.from(el.options).some((o) => o.selected !== o.defaultSelected)) {
          kept.push([el.id, "value", el.value]);
        }
      } else if (el.type !== "hidden" && el.type !== "file" && el.value !== el.defaultValue) {
        kept.push([el.id, "value", el.value]);
      }
    });
    const active = document.activeElement;
    const focused = active && active.id && container.contains(active) ? active.id : null;
    swap(container);
    for (const [id, property, value] of kept) {
      const el = document.getElementById(id);
      if (el && container.contains(el)) el[property] = value;
    }
    if (focused) {
      const el = document.getElementById(focused);
      if (el && container.contains(el)) el.focus();
    }
  }

  // While a colleague holds the case the composer is closed (the draft is kept) and says who.
  function syncComposer() {
    const head = document.querySelector(".case-head");
    const composer = document.getElementById("composer");
    if (!head || !composer) return;
    // Or the conversation is handed over to another desk (a referral's linked desk) and says which.
    const speaking = head.dataset.speakingDesk || "";
    const other = !!head.dataset.holder && head.dataset.iHold !== "1";
    const locked = other || !!speaking;
    composer.classList.toggle("locked", locked);
    ["reply-text", "send", "tpl-open"].forEach((id) => {
      const el = document.getElementById(id);
      if (el) el.disabled = locked;
    });
    const note = document.getElementById("composer-locked");
    note.hidden = !locked;
    note.textContent = speaking ? S.handedOver.replace("{desk}", speaking)
      : other ? S.heldByOther.replace("{name}", head.dataset.holderName) : "";
  }
  syncComposer();

  // ---- presence --------------------------------------------------------------------------
  function renderPresence() {
    const now = Date.now();
    document.querySelectorAll("[data-presence-for]").forEach((el) => {
      const id = parseInt(el.dataset.presenceFor, 10);
      const users = presence.get(id);
      const parts = [];
      if (users) {
        for (const [user, p] of users) {
          if (now - p.at > PRESENCE_TTL || user === me) continue;
          parts.push(user + " " + (p.state === "composing" ? S.composing : S.viewing));
        }
      }
      el.textContent = parts.length ? "👁 " + parts.join(", ") : "";
    });
  }
  setInterval(renderPresence, 5000);

  // ---- websocket -------------------------------------------------------------------------
  let socket = null, backoff = 500, myState = "viewing";
  function sendPresence(state) {
    if (caseId === null || !socket || socket.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({type: "presence", case_id: caseId, state}));
  }
  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${proto}://${location.host}/ws/w/${slug}/`);
    const dot = document.getElementById("live-state");
    socket.onopen = () => {
      backoff = 500;
      dot.className = "live on";
      sendPresence(myState);
      refresh(); // catch up on whatever happened while we were away
    };
    socket.onclose = (e) => {
      // 4401: this login ended (logged out here or elsewhere, deactivated); the page reloads
      // into the login form instead of retrying.
      if (e.code === 4401) { window.location.reload(); return; }
      dot.className = "live off";
      dot.title = S.offline;
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
    socket.onmessage = (msg) => {
      const ev = JSON.parse(msg.data);
      // Other rooms' scripts (approvals, ...) follow the same events.
      window.dispatchEvent(new CustomEvent("tanggap:event", {detail: ev}));
      if (ev.kind === "presence_query") {
        sendPresence(myState);
      } else if (ev.kind === "presence") {
        if (!presence.has(ev.case_id)) presence.set(ev.case_id, new Map());
        const users = presence.get(ev.case_id);
        if (ev.state === "left") users.delete(ev.user);
        else users.set(ev.user, {state: ev.state, at: Date.now()});
        renderPresence();
      } else if (ev.kind === "takeover") {
        if (ev.from === me) {
          toast(S.takenOver.replace("{name}", ev.by_name).replace("{number}", ev.tracking_number) +
                (ev.reason ? ": " + ev.reason : ""), true);
        }
      } else if (ev.kind === "case" || ev.kind === "delivery" || ev.kind === "approval") {
        if (page === "inbox" || ev.case_id === caseId) scheduleRefresh();
      }
    };
  }
  connect();
  window.addEventListener("tanggap:refresh", refresh);
  if (caseId !== null) {
    setInterval(() => sendPresence(myState), 10000);
    window.addEventListener("beforeunload", () => sendPresence("left"));
  }

  // ---- case actions ----------------------------------------------------------------------
  let baseVersion = null;
  let draftKey = null;
  if (page === "case") {
    const head = document.querySelector(".case-head");
    baseVersion = parseInt(head.dataset.version, 10);
  }
  function newKey() {
    return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
  }
  function explain(data) {
    let text = data.message || data.error || "";
    if (data.error === "claimed" && data.claimed_by) text += " (" + data.claimed_by + ")";
    return text;
  }
  async function caseAction(path, body) {
    const r = await api(desk.dataset.api + path, body);
    if (r.status >= 400) toast(explain(r.data), true);
    else if (typeof r.data.version === "number") baseVersion = r.data.version;
    await refresh();
    return r;
  }
  // ---- tone guard as the operator types ---------------------------------------------------
  let toneTimer = null, lastSuggestion = null;
  function escapeHtml(t) {
    return t.replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  }
  function showTone(text, result) {
    const box = document.getElementById("tone");
    if (!box) return;
    if (!text.trim()) { box.hidden = true; return; }
    box.hidden = false;
    const verdict = document.getElementById("tone-verdict");
    verdict.textContent = {ok: S.toneOk, warn: S.toneWarn, block: S.toneBlock}[result.verdict];
    verdict.className = "badge v-" + result.verdict;
    // Highlight each finding's span; spans may overlap, so mark from left to right once.
    const marks = result.findings.filter((f) => f.end > f.start).sort((a, b) => a.start - b.start);
    let html = "", at = 0;
    for (const f of marks) {
      if (f.start < at) continue;
      html += escapeHtml(text.slice(at, f.start));
      html += `<mark class="${f.severity}" title="${escapeHtml(f.message)}">` + escapeHtml(text.slice(f.start, f.end)) + "</mark>";
      at = f.end;
    }
    document.getElementById("tone-preview").innerHTML = html + escapeHtml(text.slice(at));
    const list = document.getElementById("tone-findings");
    list.innerHTML = "";
    for (const f of result.findings) {
      const li = document.createElement("li");
      li.className = f.severity;
      li.textContent = f.message;
      list.appendChild(li);
    }
    lastSuggestion = result.suggestion;
    document.getElementById("tone-apply").hidden = !lastSuggestion;
    // A refused reply with no rewrite the guard would pass says so, rather than leaving the
    // operator looking for a button that is not there.
    const none = document.getElementById("tone-no-suggestion");
    if (none) none.hidden = !!lastSuggestion || result.verdict === "ok";
  }
  async function checkTone() {
    const box = document.getElementById("reply-text");
    if (!box) return;
    const text = box.value;
    if (!text.trim()) { showTone("", null); return; }
    const r = await api("/api/v1/tone", {text, case_id: caseId});
    if (r.status === 200 && box.value === text) showTone(text, r.data);
  }

  async function send(override, confirmTone) {
    const box = document.getElementById("reply-text");
    const text = box.value.trim();
    if (!text) { box.focus(); return; }
    if (!draftKey) draftKey = newKey();
    const state = document.getElementById("send-state");
    state.textContent = S.sending;
    const r = await api(desk.dataset.api + "/replies",
      {text, idempotency_key: draftKey, base_version: baseVersion, override: !!override,
       confirm_tone: !!confirmTone});
    state.textContent = "";
    if (r.status === 201 || r.status === 200) {
      box.value = ""; draftKey = null; baseVersion = r.data.version; showTone("", null);
      myState = "viewing"; sendPresence(myState);
      toast(S.sent);
    } else if (r.status === 202) {
      // Held for a supervisor's approval: nothing was sent; the case shows it waiting.
      box.value = ""; draftKey = null; showTone("", null);
      myState = "viewing"; sendPresence(myState);
      toast(S.held);
    } else if (r.data.error === "already_answered") {
      if (window.confirm(S.already)) return send(true, confirmTone);
    } else if (r.data.error === "tone_blocked") {
      showTone(text, {verdict: "block", findings: r.data.findings, suggestion: r.data.suggestion});
      toast(explain(r.data), true);
    } else if (r.data.error === "tone_warning") {
      showTone(text, {verdict: "warn", findings: r.data.findings, suggestion: r.data.suggestion});
      if (window.confirm(S.toneConfirm)) return send(override, true);
    } else if (r.data.error === "stale_version") {
      const lines = (r.data.changes || []).map((c) => `• ${c.actor || "—"}: ${c.action}`);
      toast(S.changed + "\n" + lines.join("\n") + "\n" + S.changedTail, true);
      baseVersion = r.data.version;
    } else {
      toast(explain(r.data), true);
    }
    await refresh();
  }
  desk.addEventListener("click", (e) => {
    const id = e.target.id;
    if (id === "claim") caseAction("/claim");
    else if (id === "release") caseAction("/release");
    else if (id === "takeover") {
      const reason = window.prompt(S.takeoverReason, "");
      if (reason === null) return;
      if (!reason.trim()) { toast(S.reasonNeeded, true); return; }
      caseAction("/takeover", {reason: reason.trim()});
    }
    else if (id === "send") send(false, false);
    else if (id === "tone-apply" && lastSuggestion) {
      document.getElementById("reply-text").value = lastSuggestion;
      checkTone();
    } else if (id === "fix-triage") {
      caseAction("/triage", {topic: document.getElementById("fix-topic").value,
                             intent: document.getElementById("fix-intent").value}).then((r) => {
        if (r.status === 200) toast(S.saved);
      });
    }
    else if (id === "add-note") {
      const box = document.getElementById("note-text");
      if (!box.value.trim()) return;
      caseAction("/notes", {text: box.value}).then((r) => {
        if (r.status === 201) { box.value = ""; toast(S.noteAdded); }
      });
    }
  });
  desk.addEventListener("change", (e) => {
    if (e.target.id === "set-status" && e.target.value) caseAction("/status", {status: e.target.value});
    else if (e.target.id === "set-kind") caseAction("/kind", {kind: e.target.value});
  });
  // The claim is a lease: while its holder is working on the case (typing within the last two
  // minutes), renew it so it does not lapse under them; an idle holder's lease runs out.
  let lastActivity = 0;
  if (page === "case") {
    setInterval(() => {
      const head = document.querySelector(".case-head");
      if (!head || head.dataset.iHold !== "1" || Date.now() - lastActivity > 120000) return;
      api(desk.dataset.api + "/claim");
    }, 60000);
  }
  let composeTimer = null;
  desk.addEventListener("input", (e) => {
    if (e.target.id !== "reply-text") return;
    lastActivity = Date.now();
    clearTimeout(toneTimer);
    toneTimer = setTimeout(checkTone, 250);
    if (myState !== "composing") { myState = "composing"; sendPresence(myState); }
    clearTimeout(composeTimer);
    composeTimer = setTimeout(() => { myState = "viewing"; sendPresence(myState); }, 8000);
  });

  // ---- keyboard --------------------------------------------------------------------------
  function rows() { return Array.from(document.querySelectorAll(".case-row")); }
  document.addEventListener("keydown", (e) => {
    const typing = e.target.matches("textarea, input, select");
    if (typing) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.id === "reply-text") send(false, false);
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.id === "note-text") document.getElementById("add-note").click();
      if (e.key === "Escape") e.target.blur();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "?") { document.getElementById("help").showModal(); return; }
    if (page === "inbox") {
      const list = rows();
      const i = list.indexOf(document.activeElement);
      if (e.key === "j" && list.length) list[Math.min(i + 1, list.length - 1)].focus();
      else if (e.key === "k" && list.length) list[Math.max(i - 1, 0)].focus();
      else if (e.key === "Enter" && i >= 0) list[i].querySelector("a").click();
      else if (e.key === "c" && i >= 0) {
        api(`/api/v1/cases/${list[i].dataset.caseId}/claim`).then((r) => {
          if (r.status >= 400) toast(explain(r.data), true);
          refresh();
        });
      }
    } else if (page === "case") {
      const click = (id) => { const b = document.getElementById(id); if (b) b.click(); };
      if (e.key === "c") click("claim");
      else if (e.key === "x") click("release");
      else if (e.key === "r") { e.preventDefault(); document.getElementById("reply-text")?.focus(); }
      else if (e.key === "n") { e.preventDefault(); document.getElementById("note-text")?.focus(); }
      else if (e.key === "u") window.location = desk.dataset.inboxUrl;
    }
  });
})();
