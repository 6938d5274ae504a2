// Tanggap canned replies: the composer's picker (`/` at the start of a line of the reply, or the
// `t` key on the case page) and the templates page (writes through REST v1, session + CSRF).
(function () {
  "use strict";
  const call = window.Tanggap.call, say = window.Tanggap.say;
  function fold(text) {
    return (text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // ---- the composer's picker ----------------------------------------------------------------
  const box = document.getElementById("tpl-picker");
  if (box) {
    const root = box.closest(".tpl");
    const S = document.getElementById("tpl-strings").dataset;
    const search = document.getElementById("tpl-search");
    const list = document.getElementById("tpl-list");
    const reply = document.getElementById("reply-text");
    let offers = [], shown = [], chosen = 0, slashAt = null;

    async function open(fromSlash) {
      slashAt = fromSlash;
      box.hidden = false;
      search.value = "";
      list.innerHTML = "";
      const res = await fetch(root.dataset.templatesUrl, {credentials: "same-origin"});
      offers = res.ok ? (await res.json()).results : [];
      render();
      search.focus();
    }
    function close(refocus) {
      box.hidden = true;
      if (refocus && reply) reply.focus();
    }
    function render() {
      const words = fold(search.value).split(/\s+/).filter(Boolean);
      shown = offers.filter((o) => {
        const hay = fold(o.name + " " + o.template);
        return words.every((w) => hay.includes(w));
      });
      chosen = Math.min(chosen, Math.max(shown.length - 1, 0));
      list.innerHTML = "";
      if (!shown.length) {
        const li = document.createElement("li");
        li.className = "hint";
        li.textContent = offers.length ? S.none : S.empty;
        list.appendChild(li);
        return;
      }
      let group = null;
      shown.forEach((o, i) => {
        const g = o.suggested ? S.suggested : S.others;
        if (g !== group) {
          group = g;
          const h = document.createElement("li");
          h.className = "tpl-group";
          h.textContent = g;
          list.appendChild(h);
        }
        const li = document.createElement("li");
        li.className = "tpl-item" + (i === chosen ? " chosen" : "");
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === chosen ? "true" : "false");
        li.dataset.index = String(i);
        const name = document.createElement("strong");
        name.textContent = o.name;
        const text = document.createElement("span");
        text.textContent = o.text === null ? o.template : o.text;
        li.append(name, text);
        if (o.missing.length) {
          const miss = document.createElement("small");
          miss.className = "tpl-missing";
          miss.textContent = S.missing + " " + o.missing.map((f) => "{" + f + "}").join(", ");
          li.appendChild(miss);
        }
        list.appendChild(li);
      });
    }
    function insert(offer) {
      if (!reply || !offer) return;
      const words = offer.text === null ? offer.template : offer.text;
      let start = reply.selectionStart, end = reply.selectionEnd;
      if (slashAt !== null) { start = slashAt; end = slashAt + 1; }
      reply.value = reply.value.slice(0, start) + words + reply.value.slice(end);
      reply.setSelectionRange(start + words.length, start + words.length);
      close(true);
      // The desk's tone guard and presence follow the reply's input events.
      reply.dispatchEvent(new Event("input", {bubbles: true}));
      if (offer.missing.length) say(S.missing + " " + offer.missing.map((f) => "{" + f + "}").join(", "), true);
    }
    search.addEventListener("input", () => { chosen = 0; render(); });
    search.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown") { chosen = Math.min(chosen + 1, shown.length - 1); render(); }
      else if (e.key === "ArrowUp") { chosen = Math.max(chosen - 1, 0); render(); }
      else if (e.key === "Enter" || e.key === "Tab") { if (shown.length) insert(shown[chosen]); }
      else if (e.key === "Escape") close(true);
      else return;
      e.preventDefault();
      e.stopPropagation();
    });
    list.addEventListener("click", (e) => {
      const li = e.target.closest(".tpl-item");
      if (li) insert(shown[parseInt(li.dataset.index, 10)]);
    });
    document.getElementById("tpl-open").addEventListener("click", () => open(null));
    if (reply) {
      reply.addEventListener("keydown", (e) => {
        if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
        const at = reply.selectionStart;
        const before = reply.value.slice(0, at);
        // `/` opens the picker only where a template can start: an empty reply or a new line.
        if (before === "" || before.endsWith("\n")) {
          e.preventDefault();
          reply.value = before + "/" + reply.value.slice(reply.selectionEnd);
          reply.setSelectionRange(at + 1, at + 1);
          open(at);
        }
      });
    }
    document.addEventListener("keydown", (e) => {
      if (e.key !== "t" || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.target.matches("textarea, input, select") || !box.hidden || !reply) return;
      e.preventDefault();
      reply.focus();
      open(null);
    });
    document.addEventListener("click", (e) => {
      if (!box.hidden && !root.contains(e.target)) close(false);
    });
  }

  // ---- the templates page -----------------------------------------------------------------
  const page = document.getElementById("tpl-page");
  if (page) {
    const form = document.getElementById("tpl-form");
    const findings = document.getElementById("tpl-findings");
    function selected(select) {
      return Array.from(select.selectedOptions).map((o) => o.value);
    }
    function showFindings(data) {
      findings.innerHTML = "";
      (data.findings || []).forEach((f) => {
        const li = document.createElement("li");
        li.className = f.severity;
        li.textContent = f.message;
        findings.appendChild(li);
      });
      findings.hidden = !findings.children.length;
    }
    async function save(confirmTone) {
      const id = form.dataset.editing;
      const body = {name: form.elements.name.value, text: form.elements.text.value,
                    topics: selected(form.elements.topics), intents: selected(form.elements.intents),
                    confirm_tone: !!confirmTone};
      if (!id) body.workspace = page.dataset.slug;
      const r = id ? await call("PATCH", "/api/v1/templates/" + id, body)
                   : await call("POST", "/api/v1/templates", body);
      showFindings(r.data);
      if (r.status === 200 || r.status === 201) { window.location.reload(); return; }
      if (r.data.error === "tone_warning" && window.confirm(page.dataset.confirmTone)) return save(true);
      say(r.data.message || r.data.error, true);
    }
    form.addEventListener("submit", (e) => { e.preventDefault(); save(false); });
    page.addEventListener("click", async (e) => {
      const row = e.target.closest("[data-template-id]");
      if (!row) return;
      if (e.target.classList.contains("tpl-edit")) {
        form.dataset.editing = row.dataset.templateId;
        form.elements.name.value = row.querySelector(".tpl-name").textContent;
        form.elements.text.value = row.querySelector(".tpl-text").textContent;
        const topics = row.dataset.topics.split(",");
        const intents = row.dataset.intents.split(",");
        Array.from(form.elements.topics.options).forEach((o) => { o.selected = topics.includes(o.value); });
        Array.from(form.elements.intents.options).forEach((o) => { o.selected = intents.includes(o.value); });
        form.scrollIntoView();
        form.elements.name.focus();
      } else if (e.target.classList.contains("tpl-delete")) {
        if (!window.confirm(page.dataset.confirmDelete)) return;
        const r = await call("DELETE", "/api/v1/templates/" + row.dataset.templateId);
        if (r.status === 200) row.remove(); else say(r.data.message || r.data.error, true);
      }
    });
  }
})();
