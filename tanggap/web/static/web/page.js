// Behaviour every desk page shares, kept out of the HTML so the Content-Security-Policy can refuse
// all inline script: a select marked data-submit-on-change submits its form when changed (the
// language switch).
(function () {
  "use strict";
  document.addEventListener("change", (e) => {
    const select = e.target.closest("select[data-submit-on-change]");
    if (select && select.form) select.form.requestSubmit();
  });
})();
