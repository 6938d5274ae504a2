"""Reads of cases for the inbox, the case view and the API. Always scoped by workspace ids that
came from an accessor; never called with ids from the request alone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from tanggap.audit.models import AuditEvent
from tanggap.cases import search
from tanggap.cases.cleaning import object_id, parse_int_param
from tanggap.cases.models import CLOSED_STATUSES, Case, CaseKind, CaseStatus, Message
from tanggap.errors import InvalidInput
from tanggap.language import INTENTS, TOPICS


def inbox_cases(
    *,
    workspace_ids: list[int],
    now: datetime,
    user=None,
    status: str | None = None,
    claimed: str | None = None,
    channel: str | None = None,
    kind: str | None = None,
    topic: str | None = None,
    intent: str | None = None,
    kasar: str | None = None,
    q: str | None = None,
) -> QuerySet[Case]:
    """Cases in the inbox order: the newest citizen message first. With `q`, only the cases
    whose words hold every word of it (cases.search), of every status unless one is given."""
    qs = Case.objects.filter(workspace_id__in=workspace_ids)
    if q is not None and (not isinstance(q, str) or q.strip()):  # blank: no search
        qs = qs.filter(search.matching(q))
        if status in (None, ""):
            status = "all"
    if status in (None, "", "open"):
        qs = qs.exclude(status__in=CLOSED_STATUSES)
    elif status == "all":
        pass
    elif status in CaseStatus.values:
        qs = qs.filter(status=status)
    else:
        raise InvalidInput(_("Unknown status %(status)r; use open, all or one of %(choices)s.")
                           % {"status": status, "choices": ", ".join(CaseStatus.values)})
    held = Q(claimed_by__isnull=False, claim_expires_at__gt=now)
    if claimed in (None, ""):
        pass
    elif claimed in ("true", "1", "yes"):
        qs = qs.filter(held)
    elif claimed in ("false", "0", "no"):
        qs = qs.exclude(held)
    elif claimed == "me":
        if user is None:
            raise InvalidInput(_("claimed=me needs a user."))
        qs = qs.filter(held, claimed_by=user)
    else:
        raise InvalidInput(_("'claimed' must be true, false or me."))
    channel_id = parse_int_param(channel, field="channel", minimum=1)
    if channel_id is not None:
        qs = qs.filter(channel_id=channel_id)
    for field, value, choices in (("kind", kind, CaseKind.values), ("topic", topic, TOPICS),
                                  ("intent", intent, INTENTS)):
        if value in (None, ""):
            continue
        if value not in choices:
            raise InvalidInput(_("Unknown %(field)s %(value)r; use one of %(choices)s.")
                               % {"field": field, "value": value, "choices": ", ".join(choices)},
                               field=field)
        qs = qs.filter(**{field: value})
    if kasar in ("true", "1", "yes"):
        qs = qs.filter(kasar=True)
    elif kasar in ("false", "0", "no"):
        qs = qs.filter(kasar=False)
    elif kasar not in (None, ""):
        raise InvalidInput(_("'kasar' must be true or false."))
    return qs.order_by("-last_inbound_at", "-id")


class ValuesRow:
    """A list line read as plain values (`values_list()` in the order of `__slots__`), whose
    attributes carry `Case`'s names for what reads them as a case (the SLA clocks, the
    cursor, `effective_holder_id`): the inbox and the API's list build no model per row."""

    __slots__ = ()

    def __init__(self, values: tuple):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)

    @property
    def id(self) -> int:
        return self.pk

    @property
    def needs_check(self) -> bool:
        """As `Case.needs_check`."""
        return self.triage_unsure and not self.triage_confirmed


def case_messages(case: Case) -> QuerySet[Message]:
    return case.messages.select_related("sent_by").order_by("created_at", "id")


def earlier_cases(case: Case, limit: int = 10) -> QuerySet[Case]:
    """The citizen's other cases, on every channel of theirs: the contact's, and those of the
    contacts linked with it as one person."""
    contact = case.contact
    same = (Q(contact__person_id=contact.person_id) if contact.person_id is not None
            else Q(contact_id=contact.pk))
    return (
        Case.objects.filter(same, workspace_id=case.workspace_id)
        .exclude(pk=case.pk)
        .select_related("channel", "contact")
        .order_by("-created_at")[:limit]
    )


def linked_contacts(contact) -> list:
    """The other accounts of the person this contact is (empty when it stands alone)."""
    from tanggap.cases.models import Contact

    if contact.person_id is None:
        return []
    return list(Contact.objects.filter(person_id=contact.person_id).exclude(pk=contact.pk)
                .order_by("pk"))


# What cursor_of writes: an ISO 8601 UTC time with microseconds, "_", the case id.
CURSOR_PATTERN = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
                  r"\+00:00_[0-9]{1,19}$")
_CURSOR = re.compile(CURSOR_PATTERN)


def after_cursor(qs: QuerySet[Case], cursor: str | None) -> QuerySet[Case]:
    """Keyset pagination on (last_inbound_at, id) descending: stable while cases arrive."""
    if not cursor:
        return qs
    stamp, _sep, raw_id = cursor.rpartition("_")
    try:
        if not _CURSOR.fullmatch(cursor):
            raise ValueError(cursor)
        when = datetime.fromisoformat(stamp)
    except ValueError:
        raise InvalidInput(_("The cursor is not valid."), field="cursor") from None
    last_id = object_id(raw_id)
    if last_id is None:
        raise InvalidInput(_("The cursor is not valid."), field="cursor")
    return qs.filter(Q(last_inbound_at__lt=when) | Q(last_inbound_at=when, id__lt=last_id))


def cursor_of(case: Case) -> str:
    return f"{case.last_inbound_at.astimezone(UTC).isoformat()}_{case.pk}"


def training_rows(*, workspace_ids: list[int], up_to: int | None = None):
    """Operators' confirmed or corrected labels, newest correction per case, for `train`
    (only labels up to id `up_to` when given)."""
    from tanggap.cases.models import TriageLabel

    seen: set[int] = set()
    labels = TriageLabel.objects.filter(workspace_id__in=workspace_ids).order_by("-id")
    if up_to is not None:
        labels = labels.filter(pk__lte=up_to)
    for label in labels.iterator():
        if label.case_id in seen or not label.text:
            continue
        seen.add(label.case_id)
        yield {"text": label.text, "topic": label.topic, "intent": label.intent}


def last_inbound_text() -> Subquery:
    """The citizen's latest words on a case, for the inbox line (one indexed lookup per row)."""
    return Subquery(
        Message.objects.filter(case=OuterRef("pk"), direction="in")
        .order_by("-id").values("text")[:1]
    )


def text_fetch_failures(message_id: int) -> int:
    """How many fetches of this message's words failed before (from the audit trail)."""
    return AuditEvent.objects.filter(action="message.text_fetch_failed", object_type="message",
                                     object_id=str(message_id)).count()


def language_model_status(workspace_id: int):
    """The workspace's own language model and its retraining (a TriageModel, or None when its
    desk has corrected nothing yet), for the supervisors' "Model" panel."""
    from tanggap.cases.models import TriageModel

    return TriageModel.objects.filter(workspace_id=workspace_id).first()
