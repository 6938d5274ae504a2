// Tanggap: one citizen, several accounts. On the case page an operator links the contact with
// the contact of another case (its tracking number), or unlinks one linked by mistake; both go
// through REST v1 and are audited; the panel re-renders with the citizen's cases on every channel.
(function () {
  "use strict";
  const T = window.Tanggap;
  document.addEventListener("click", async (e) => {
    const person = e.target.closest(".person");
    if (!person) return;
    const caseId = parseInt(person.dataset.caseId, 10);
    let r = null;
    if (e.target.id === "link-contact") {
      const number = document.getElementById("link-number").value.trim();
      if (!number) return;
      r = await T.call("POST", `/api/v1/contacts/${person.dataset.contactId}/link`,
                       {tracking_number: number, case_id: caseId});
    } else if (e.target.classList.contains("unlink-contact")) {
      r = await T.call("POST", `/api/v1/contacts/${e.target.dataset.contactId}/unlink`,
                       {case_id: caseId});
    } else {
      return;
    }
    if (r.status !== 200) T.say(r.data.message || r.data.error, true);
    window.dispatchEvent(new Event("tanggap:refresh"));
  });
})();
