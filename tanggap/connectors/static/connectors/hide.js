// Hide/show a citizen's comment on its platform from the case page (connectors_desk tag).
// One delegated listener, so it keeps working after the panel is re-rendered; the result comes
// back as a live event that refreshes the panel.
(function () {
  "use strict";
  if (window.tanggapHideLoaded) return;
  window.tanggapHideLoaded = true;
  function csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  document.addEventListener("click", async (e) => {
    const button = e.target.closest("[data-hide-message]");
    if (!button) return;
    button.disabled = true;
    const id = button.dataset.hideMessage;
    let data = {}, status = 0;
    try {
      const res = await fetch(`/api/v1/messages/${id}/hide`, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
        body: JSON.stringify({hidden: button.dataset.hidden === "true"}),
      });
      status = res.status;
      try { data = await res.json(); } catch (err) { /* empty body */ }
    } catch (err) {
      data = {message: String(err)};
    }
    if (status >= 400 || status === 0) {
      const line = button.closest("[data-moderation-for]");
      const note = document.createElement("span");
      note.className = "error";
      note.textContent = " " + (data.message || data.error || status);
      line.appendChild(note);
      button.disabled = false;
    }
  });
})();
