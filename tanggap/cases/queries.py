"""Reads of cases for the inbox, the case view and the API. Always scoped by workspace ids that
came from an accessor; never called with ids from the request alone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.db.models import BigIntegerField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from tanggap.audit.models import AuditEvent
from tanggap.cases import search
from tanggap.cases.cleaning import object_id, parse_int_param
from tanggap.cases.models import CLOSED_STATUSES, Case, CaseKind, CaseStatus, Message
from tanggap.conf import compiled
from tanggap.errors import InvalidInput
from tanggap.language import INTENTS, TOPICS


class InboxFilter:
    """A checked inbox filter: `shape` says which filters apply and how (hashable, without the
    request's values: the page's statement is compiled once per shape), `values` fill it."""

    __slots__ = ("shape", "values", "q")

    def __init__(self, shape: tuple, values: dict, q=None):
        self.shape, self.values, self.q = shape, values, q


def inbox_filter(
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
) -> InboxFilter:
    """The inbox's filters checked (InvalidInput says what is wrong), for `inbox_cases` and
    `inbox_rows`. With `q`, only the cases whose words hold every word of it (cases.search), of
    every status unless one is given."""
    values: dict = {"workspace_ids": list(workspace_ids)}
    searching = q is not None and (not isinstance(q, str) or bool(q.strip()))  # blank: no search
    if searching and status in (None, ""):
        status = "all"
    if status in (None, "", "open"):
        status_shape = "open"
    elif status == "all":
        status_shape = "all"
    elif status in CaseStatus.values:
        status_shape, values["status"] = "one", str(status)
    else:
        raise InvalidInput(_("Unknown status %(status)r; use open, all or one of %(choices)s.")
                           % {"status": status, "choices": ", ".join(CaseStatus.values)})
    if claimed in (None, ""):
        claimed_shape = ""
    elif claimed in ("true", "1", "yes"):
        claimed_shape, values["now"] = "held", now
    elif claimed in ("false", "0", "no"):
        claimed_shape, values["now"] = "free", now
    elif claimed == "me":
        if user is None:
            raise InvalidInput(_("claimed=me needs a user."))
        claimed_shape, values["now"], values["user_id"] = "me", now, user.pk
    else:
        raise InvalidInput(_("'claimed' must be true, false or me."))
    channel_id = parse_int_param(channel, field="channel", minimum=1)
    if channel_id is not None:
        values["channel_id"] = channel_id
    for field, value, choices in (("kind", kind, CaseKind.values), ("topic", topic, TOPICS),
                                  ("intent", intent, INTENTS)):
        if value in (None, ""):
            continue
        if value not in choices:
            raise InvalidInput(_("Unknown %(field)s %(value)r; use one of %(choices)s.")
                               % {"field": field, "value": value, "choices": ", ".join(choices)},
                               field=field)
        values[field] = str(value)
    if kasar in ("true", "1", "yes"):
        kasar_shape = True
    elif kasar in ("false", "0", "no"):
        kasar_shape = False
    elif kasar not in (None, ""):
        raise InvalidInput(_("'kasar' must be true or false."))
    else:
        kasar_shape = None
    shape = (searching, status_shape, claimed_shape, kasar_shape, tuple(values))
    return InboxFilter(shape, values, q if searching else None)


def filtered_cases(found: InboxFilter, values: dict | None = None) -> QuerySet[Case]:
    """The cases of a checked filter in the inbox order, the newest citizen message first;
    `values` in place of its own (the compiled statements' markers)."""
    values = found.values if values is None else values
    searching, status_shape, claimed_shape, kasar_shape = found.shape[:4]
    qs = Case.objects.filter(workspace_id__in=values["workspace_ids"])
    if searching:
        qs = qs.filter(search.matching(found.q))
    if status_shape == "open":
        qs = qs.exclude(status__in=CLOSED_STATUSES)
    elif status_shape == "one":
        qs = qs.filter(status=values["status"])
    if claimed_shape:
        held = Q(claimed_by__isnull=False, claim_expires_at__gt=values["now"])
        if claimed_shape == "held":
            qs = qs.filter(held)
        elif claimed_shape == "free":
            qs = qs.exclude(held)
        else:
            qs = qs.filter(held, claimed_by_id=values["user_id"])
    if "channel_id" in values:
        qs = qs.filter(channel_id=values["channel_id"])
    for field in ("kind", "topic", "intent"):
        if field in values:
            qs = qs.filter(**{field: values[field]})
    if kasar_shape is not None:
        qs = qs.filter(kasar=kasar_shape)
    if "cursor_at" in values:
        when, last_id = values["cursor_at"], values["cursor_id"]
        qs = qs.filter(Q(last_inbound_at__lt=when) | Q(last_inbound_at=when, id__lt=last_id))
    return qs.order_by("-last_inbound_at", "-id")


def inbox_cases(**filters) -> QuerySet[Case]:
    """Cases in the inbox order: the newest citizen message first (the filters of
    `inbox_filter`)."""
    return filtered_cases(inbox_filter(**filters))


def inbox_rows(found: InboxFilter, columns: tuple[str, ...], limit: int, *, key: str,
               cursor: str | None = None, annotate: dict | None = None,
               at: datetime | None = None) -> list:
    """One page of the inbox as tuples of `columns` (`annotate`: name to a function of the
    statement's values giving the expression; `at`, the moment they may compare with, is
    `values["at"]`), after `cursor` when given. The statement is compiled once per shape and
    `key` (which names the caller's columns and annotations) and reused
    (tanggap.conf.compiled): it was most of the page's CPU. A search runs through the ORM each
    time (its SQL depends on how many cases match)."""
    if not found.values["workspace_ids"]:
        return []
    values = dict(found.values)
    if at is not None:
        values["at"] = at
    if cursor:
        values["cursor_at"], values["cursor_id"] = parse_cursor(cursor)
    page = InboxFilter(found.shape + (tuple(values),), values, found.q)

    def build(markers: dict) -> QuerySet:
        qs = filtered_cases(page, markers)
        if annotate:
            qs = qs.annotate(**{name: expression(markers)
                                for name, expression in annotate.items()})
        return qs.values_list(*columns)[:limit]

    if found.q is not None:
        return list(build(values))
    return compiled.rows((key, page.shape, columns, limit), build, values)


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
    # The workspace is compared as `workspace_id + 0`, which no index can serve. Compared bare,
    # SQLite's planner (no statistics) walks case_ws_created_idx newest first to skip the sort,
    # reading every case of the workspace when the citizen has fewer than `limit` others; from
    # the contact (case_thread_idx) it reads only the citizen's cases and sorts those few.
    in_workspace = ExpressionWrapper(F("workspace_id") + 0, output_field=BigIntegerField())
    return (
        Case.objects.alias(in_workspace=in_workspace)
        .filter(same, in_workspace=case.workspace_id)
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


def parse_cursor(cursor: str) -> tuple[datetime, int]:
    """The (last_inbound_at, id) a cursor of `cursor_of` stands for; InvalidInput otherwise."""
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
    return when, last_id


def after_cursor(qs: QuerySet[Case], cursor: str | None) -> QuerySet[Case]:
    """Keyset pagination on (last_inbound_at, id) descending: stable while cases arrive."""
    if not cursor:
        return qs
    when, last_id = parse_cursor(cursor)
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


def last_inbound_text(values=None) -> Subquery:
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
