"""The case's audit trail as sentences in the reader's language.

The audit table keeps machine facts (an action code, before/after dicts) for reports and for
proof; the page shows what a colleague would say: "Sari Wulandari took the case over from Ani
Lestari. Reason: Ani is on leave." People are named by full name. An action this module does not
know yet (a new room's) still reads as a sentence, never as a code or a dict.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from tanggap.cases.language import INTENT_LABELS, TOPIC_LABELS
from tanggap.cases.models import CaseKind, CaseStatus, DeliveryStatus


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _status(value) -> str:
    return _label(CaseStatus, value)


def _account(label: str) -> str:
    platform, _sep, name = label.partition(":")
    return f"{name} ({platform})" if name else label


def _replied(e, after) -> str:
    if after.get("handed_over"):
        text = _("%(actor)s of %(desk)s replied to the citizen (the conversation is handed over "
                 "to that desk).") % {**e, "desk": after.get("workspace", "")}
    else:
        text = _("%(actor)s replied to the citizen.") % e
    if after.get("tone") == "warn" and after.get("tone_confirmed"):
        text += " " + _("The tone guard warned about it and the sender confirmed it.")
    if after.get("approved_by"):
        text += " " + _("Approved by %(name)s.") % {"name": e["name"](after["approved_by"])}
    if after.get("override"):
        text += " " + _("Sent although the case had been answered already.")
    return text


def _status_changed(e, before, after) -> str:
    return _("%(actor)s moved the case from %(before)s to %(after)s.") % {
        **e, "before": _status(before.get("status")), "after": _status(after.get("status"))}


def _citizen_wrote(e, before, after) -> str:
    text = _("The citizen wrote again.")
    if before.get("status") != after.get("status"):
        text += " " + _("The case is %(status)s again.") % {"status": _status(after.get("status"))}
    return text


def _taken_over(e, before, after) -> str:
    holder = before.get("claimed_by")
    if holder:
        text = _("%(actor)s took the case over from %(holder)s.") % {
            **e, "holder": e["name"](holder)}
    else:
        text = _("%(actor)s took the case over.") % e
    if after.get("reason"):
        text += " " + _("Reason: %(reason)s") % {"reason": after["reason"]}
    return text


def _triage(e, before, after) -> str:
    return _("%(actor)s set the topic to %(topic)s and the intent to %(intent)s.") % {
        **e, "topic": TOPIC_LABELS.get(after.get("topic"), after.get("topic") or "—"),
        "intent": INTENT_LABELS.get(after.get("intent"), after.get("intent") or "—")}


# action -> a function of (names, before, after); `names` holds "actor" (the actor's name) and
# "name" (a function naming a username).
SENTENCES = {
    "case.opened": lambda e, b, a: _("The citizen's message opened this case."),
    "portal.submitted": lambda e, b, a: _("The citizen reported it through the web form."),
    "case.citizen_wrote": _citizen_wrote,
    "case.claimed": lambda e, b, a: _("%(actor)s claimed the case.") % e,
    "case.released": lambda e, b, a: (
        _("%(actor)s released the case.") % e if e["actor_known"]
        else _("The claim of %(holder)s ended.") % {"holder": e["name"](b.get("claimed_by"))}),
    "case.taken_over": _taken_over,
    "case.replied": lambda e, b, a: _replied(e, a),
    "case.announced": lambda e, b, a: _("%(actor)s sent an announcement to the citizen.") % e,
    "case.status_changed": _status_changed,
    "case.kind_changed": lambda e, b, a: _("%(actor)s changed the kind to %(kind)s.") % {
        **e, "kind": _label(CaseKind, a.get("kind"))},
    "case.triage_corrected": _triage,
    "case.referred": lambda e, b, a: _("%(actor)s referred the case to %(body)s.") % {
        **e, "body": a.get("body", "")},
    "case.referral_returned": lambda e, b, a: _("The case came back to the desk from its "
                                                "referral."),
    "case.offered": lambda e, b, a: _("The case was offered to %(name)s.") % {
        "name": e["name"](a.get("to"))},
    "case.handed_over": lambda e, b, a: _("%(actor)s handed the case to %(name)s.") % {
        **e, "name": e["name"](a.get("to"))} + (
        " " + _("Note: %(note)s") % {"note": a["note"]} if a.get("note") else ""),
    "case.conversation_handed_over": lambda e, b, a: _(
        "%(actor)s handed the conversation with the citizen over to %(desk)s.") % {
        **e, "desk": a.get("desk_name") or a.get("speaking_desk") or ""},
    "case.conversation_taken_back": lambda e, b, a: (
        _("%(actor)s took the conversation with the citizen back.") % e if e["actor_known"]
        else _("The conversation with the citizen came back to the desk: the referral is "
               "settled.")),
    "note.added": lambda e, b, a: _("%(actor)s added an internal note.") % e,
    "message.delivery_updated": lambda e, b, a: _("The platform reports the reply as "
                                                  "%(status)s.") % {
        "status": _label(DeliveryStatus, a.get("status")).lower()},
    "message.text_fetched": lambda e, b, a: _("The message's words were fetched from the "
                                              "platform."),
    "message.text_fetch_failed": lambda e, b, a: _("The message's words could not be fetched "
                                                   "from the platform."),
    "message.hide_requested": lambda e, b, a: (
        _("%(actor)s asked the platform to hide the comment.") if a.get("hidden")
        else _("%(actor)s asked the platform to show the comment again.")) % e,
    "message.hidden": lambda e, b, a: (
        _("The platform hid the comment.") if a.get("hidden") and not a.get("error")
        else _("The platform did not change the comment's visibility.")),
    "message.hide_failed": lambda e, b, a: _("Hiding the comment failed on the platform."),
    "reply.held": lambda e, b, a: _("%(actor)s's reply waits for a supervisor's approval.") % e,
    "reply.approved": lambda e, b, a: (
        _("%(actor)s edited and approved the reply of %(name)s.") if a.get("edited")
        else _("%(actor)s approved the reply of %(name)s.")) % {
        **e, "name": e["name"](a.get("requested_by"))},
    "reply.rejected": lambda e, b, a: _("%(actor)s rejected the reply of %(name)s.") % {
        **e, "name": e["name"](a.get("requested_by"))} + (
        " " + _("Note: %(note)s") % {"note": a["note"]} if a.get("note") else ""),
    "referral.created": lambda e, b, a: _("%(actor)s referred the case to %(body)s.") % {
        **e, "body": a.get("body", "")},
    "referral.emailed": lambda e, b, a: _("The referral was e-mailed to the body."),
    "referral.received": lambda e, b, a: _("A referral from another desk opened this case."),
    "referral.answered": lambda e, b, a: _("%(by)s answered the referral.") % {
        "by": a.get("by") or _("The body")},
    "referral.reminded": lambda e, b, a: _("The body was reminded of the late referral."),
    "referral.escalated": lambda e, b, a: _("The late referral was escalated to the "
                                            "supervisors."),
    "referral.withdrawn": lambda e, b, a: _("%(actor)s withdrew the referral.") % e,
    "referral.link_renewed": lambda e, b, a: _("%(actor)s made a new link for the body.") % e,
    "referral.conversation_handed_over": lambda e, b, a: _(
        "%(actor)s of %(desk)s handed the conversation with the citizen over to this desk: its "
        "holder replies to the citizen from here.") % {**e, "desk": a.get("from", "")},
    "referral.conversation_taken_back": lambda e, b, a: _(
        "%(desk)s took the conversation with the citizen back.") % {"desk": a.get("from", "")},
    "referral.citizen_replied": lambda e, b, a: _(
        "%(actor)s replied to the citizen for %(desk)s.") % {**e, "desk": a.get("for", "")},
    "referral.linked_case_failed": lambda e, b, a: _("The referral could not open a case on the "
                                                     "body's own desk."),
    "incident.case_added": lambda e, b, a: _("The case joined the incident %(title)s.") % {
        "title": a.get("incident", "")},
    "incident.case_removed": lambda e, b, a: _("The case left its incident."),
    "contact.linked": lambda e, b, a: _("%(actor)s linked the citizen's accounts: "
                                        "%(accounts)s.") % {
        **e, "accounts": ", ".join(_account(label) for label in a.get("linked", []))},
    "contact.unlinked": lambda e, b, a: _("%(actor)s unlinked %(account)s from this "
                                          "citizen.") % {
        **e, "account": _account(a.get("unlinked", ""))},
    "sla.breached": lambda e, b, a: _("The case passed a time limit of its service level."),
}


def audit_lines(events) -> list[tuple[object, str]]:
    """(event, sentence) for each audit event of a case, in order."""
    events = list(events)
    usernames = set()
    for event in events:
        for part in (event.before or {}, event.after or {}):
            for key in ("claimed_by", "to", "requested_by", "approved_by"):
                if isinstance(part.get(key), str):
                    usernames.add(part[key])
    names = {u.username: (u.get_full_name() or u.username)
             for u in get_user_model().objects.filter(username__in=usernames)}

    def name(username) -> str:
        return names.get(username, username or "—")

    lines = []
    for event in events:
        actor = event.actor
        e = {"actor": (actor.get_full_name() or actor.username) if actor else _("The desk"),
             "actor_known": actor is not None, "name": name}
        describe = SENTENCES.get(event.action)
        before, after = event.before or {}, event.after or {}
        if describe is None:
            sentence = _("%(actor)s made a change to this case.") % e
        else:
            sentence = describe(e, before, after)
        lines.append((event, sentence))
    return lines
