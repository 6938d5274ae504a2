// Shared by the desk's page scripts (approvals, templates, ...): the CSRF cookie, JSON calls to
// REST v1 with the session, and the toast. Loaded first, without defer, in web/base.html.
window.Tanggap = window.Tanggap || {};
(function (T) {
  "use strict";
  T.csrf = function () {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  };
  T.call = async function (method, path, body) {
    const res = await fetch(path, {method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": T.csrf()},
      body: body === undefined ? undefined : JSON.stringify(body)});
    let data = {};
    try { data = await res.json(); } catch (e) { /* empty body */ }
    return {status: res.status, data};
  };
  T.say = function (text, isError) {
    const t = document.getElementById("toast");
    if (!t) return;
    t.textContent = text;
    t.className = isError ? "show error" : "show";
    clearTimeout(T.say.timer);
    T.say.timer = setTimeout(() => { t.className = ""; }, isError ? 8000 : 3000);
  };
})(window.Tanggap);
