"""Plain functions from rows to the JSON shapes of REST v1 (documented in api/openapi.py)."""

from __future__ import annotations

from tanggap.cases.models import Case, Message
from tanggap.cases.queries import ValuesRow
from tanggap.connectors.models import CommentModeration


def sla_json(view) -> dict | None:
    """A case's clocks (tanggap.sla), or None when no policy applies to it."""
    if view is None:
        return None

    def stamp(value):
        return value.isoformat() if value is not None else None

    return {"first_response_due_at": stamp(view.first_response_due_at),
            "next_response_due_at": stamp(view.next_response_due_at),
            "resolution_due_at": stamp(view.resolution_due_at),
            "breached": view.breached, "paused": view.paused}


# The columns a list page reads (case_summary's, the cursor's, and the SLA clocks': created_at,
# updated_at, kind, topic, status), as plain values: whole rows of cases, holders and contacts
# were a third of the page's CPU, and building a case, a contact and a holder per row a fifth of
# what was left. `SummaryRow` names them as `Case` does for what reads them.
SUMMARY_VALUES = (
    "pk", "workspace_id", "channel_id", "contact_id", "status", "kind", "tracking_number",
    "claimed_by_id", "claimed_by__username", "claim_expires_at", "version",
    "contact__display_name", "last_inbound_at", "created_at", "updated_at", "topic", "intent",
    "kasar", "triage_confirmed", "triage_confidence", "triage_suggestions", "triage_unsure",
)


class _Named:
    """The holder or contact of a `SummaryRow`: the one column the summary prints of it."""

    __slots__ = ("username", "display_name")

    def __init__(self, username: str = "", display_name: str = ""):
        self.username, self.display_name = username, display_name


class SummaryRow(ValuesRow):
    """One list line's columns (a tuple of `SUMMARY_VALUES`), read by `case_summary` too."""

    __slots__ = ("pk", "workspace_id", "channel_id", "contact_id", "status", "kind",
                 "tracking_number", "claimed_by_id", "claimed_by", "claim_expires_at", "version",
                 "contact", "last_inbound_at", "created_at", "updated_at", "topic", "intent",
                 "kasar", "triage_confirmed", "triage_confidence", "triage_suggestions",
                 "triage_unsure")

    def __init__(self, values: tuple):
        super().__init__(values)
        self.claimed_by = _Named(username=self.claimed_by) if self.claimed_by_id else None
        self.contact = _Named(display_name=self.contact)


def case_summary(case: Case | SummaryRow, now, workspace_slug: str | None = None, *, sla=None,
                 assigned_to: str | None = None) -> dict:
    holder = case.claimed_by.username if case.claimed_by_id else None
    return {
        "id": case.pk,
        "status": case.status,
        "kind": case.kind,
        "claimed_by": holder,
        "claim_expires_at": case.claim_expires_at.isoformat() if case.claim_expires_at else None,
        "claim_active": bool(holder and case.claim_expires_at and case.claim_expires_at > now),
        "version": case.version,
        "tracking_number": case.tracking_number,
        "channel_id": case.channel_id,
        "contact": {"id": case.contact_id, "name": case.contact.display_name},
        "last_inbound_at": case.last_inbound_at.isoformat(),
        "topic": case.topic,
        "intent": case.intent,
        "kasar": case.kasar,
        "triage_confirmed": case.triage_confirmed,
        "triage_confidence": case.triage_confidence,
        "topic_suggestions": [{"topic": s["topic"], "confidence": s["confidence"]}
                              for s in case.triage_suggestions or []],
        "needs_check": case.needs_check,
        "workspace": workspace_slug or case.workspace.slug,
        "sla": sla_json(sla),
        "assigned_to": assigned_to,
    }


def case_state(case: Case) -> dict:
    """Who holds the case and how far it got: the answer of a claim, release, take-over or
    status move (the client redraws the case's header from it)."""
    return {
        "status": case.status,
        "claimed_by": case.claimed_by.username if case.claimed_by_id else None,
        "claim_expires_at": case.claim_expires_at.isoformat() if case.claim_expires_at else None,
        "version": case.version,
    }


def message_json(message: Message) -> dict:
    return {
        "id": message.pk,
        "direction": message.direction,
        "text": message.text,
        "author": message.author_name,
        "created_at": message.created_at.isoformat(),
        "delivery_status": message.delivery_status,
        "external_id": message.external_id,
        "triage": message.triage,
    }


def case_detail(case: Case, messages, now, *, sla=None, assigned_to: str | None = None) -> dict:
    return {**case_summary(case, now, sla=sla, assigned_to=assigned_to),
            "messages": [message_json(m) for m in messages]}


def moderation_json(record: CommentModeration) -> dict:
    return {"message_id": record.message_id, "hidden": record.hidden,
            "platform_hidden": record.platform_hidden, "state": record.state,
            "error": record.error}
