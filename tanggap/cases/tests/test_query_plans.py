"""The hot paths read cases and messages by an index, never by walking the table (SQLite).

Pins the query plans that migration 0014 relied on when it dropped the single-column indexes of
`Case.contact`, `Message.case` and `Message.channel`: every statement of an inbound (new citizen,
follow-up, redelivery), of the inbox list (plain, by status, a search) and of a case's page
that touches `cases_case` or `cases_message` is planned with an index or the row id. SQLite's
planner has no statistics here (the desk never runs ANALYZE), so a plan does not depend on how
many rows the test made.
"""

import re

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX
from django.test.client import Client
from django.utils import timezone

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner")

_TABLES = re.compile(r'"(cases_case|cases_message)"')
# "SCAN t" alone walks the table; "SCAN t USING INDEX i" walks an index in its order (the inbox
# newest first), "SEARCH t USING ..." looks rows up.
_WALK = re.compile(r"^SCAN (cases_case|cases_message)(?: AS \w+)?$")


def _plans_of(action) -> dict[str, list[str]]:
    """EXPLAIN QUERY PLAN of each statement on cases or messages that `action` runs, with its
    own parameters bound as they were (a literal could let SQLite use a partial index that the
    bound parameter does not)."""
    plans: dict[str, list[str]] = {}

    def explain(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not many and _TABLES.search(sql) and sql.lstrip().upper().startswith(
                ("SELECT", "UPDATE", "DELETE")):
            query = FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")
            rows = context["connection"].connection.execute(
                "EXPLAIN QUERY PLAN " + query, tuple(params or ())).fetchall()
            plans[sql] = [row[-1] for row in rows]
        return result

    with connection.execute_wrapper(explain):
        action()
    return plans


def _walks(plans: dict[str, list[str]]) -> dict[str, list[str]]:
    return {sql: steps for sql, steps in plans.items()
            if any(_WALK.match(step) for step in steps)}


def test_an_inbound_reads_cases_and_messages_by_index(desk):
    now = timezone.now()
    plans = _plans_of(lambda: (
        desk.inbound(external_id="a", author_id="w1", now=now),
        desk.inbound(external_id="b", author_id="w1", now=now),  # follow-up
        desk.inbound(external_id="b", author_id="w1", now=now),  # redelivery
        desk.inbound(external_id="c", author_id="w2", thread_id="t", channel=desk.x, now=now),
        desk.inbound(external_id="d", author_id="w2", thread_id="t", channel=desk.x, now=now),
    ))
    assert _walks(plans) == {}
    # Exactly these lookups: the arrival check by the partial unique index, the open case by
    # case_thread_idx (with and without a thread), the rest by row id.
    steps = {step for steps in plans.values() for step in steps
             if re.match(r"(SEARCH|SCAN) (cases_case|cases_message|m) ", step)}
    assert steps == {
        "SEARCH m USING INDEX message_platform_once (channel_id=? AND external_id=?)",
        "SEARCH cases_case USING INDEX case_thread_idx (contact_id=? AND channel_id=?)",
        "SEARCH cases_case USING INDEX case_thread_idx"
        " (contact_id=? AND channel_id=? AND thread_id=?)",
        "SEARCH cases_case USING INTEGER PRIMARY KEY (rowid=?)",
        "SEARCH cases_message USING INTEGER PRIMARY KEY (rowid=?)",
    }


def test_the_inbox_and_a_case_read_cases_and_messages_by_index(desk):
    for i in range(5):
        case = desk.inbound(external_id=f"m{i}", author_id=f"w{i}",
                            text=f"Lampu jalan mati di RT {i}").case
        desk.inbound(external_id=f"m{i}-b", author_id=f"w{i}")
    desk.ani.get("/api/v1/cases")  # notes the token's first use
    page = Client()
    page.force_login(desk.ani.user)

    def read():
        for path in ("/api/v1/cases", "/api/v1/cases?status=baru", "/api/v1/cases?q=lampu",
                     f"/api/v1/cases/{case.pk}"):
            assert desk.ani.get(path).status_code == 200, path
        for path in ("/w/bpn/", f"/w/bpn/cases/{case.pk}/"):
            assert page.get(path).status_code == 200, path

    plans = _plans_of(read)
    assert _walks(plans) == {}
    # A case's messages, on its page and in the inbox's last-text column, by message_case_idx.
    steps = {step for steps in plans.values() for step in steps}
    assert {"SEARCH cases_message USING INDEX message_case_idx (case_id=?)",
            "SEARCH U0 USING INDEX message_case_idx (case_id=?)"} <= steps


def test_a_walk_of_the_table_is_seen(desk):
    """The check itself: a statement that can only walk the table is reported."""
    from tanggap.cases.models import Message

    plans = _plans_of(lambda: list(Message.objects.filter(text="x")))
    assert list(_walks(plans).values()) == [["SCAN cases_message"]]


def test_a_citizens_earlier_cases_are_read_from_the_contact_not_the_workspace(desk):
    """A case's page lists the citizen's other cases; read newest first along the workspace's
    cases, a citizen with few of them costs a walk of every case of the workspace."""
    from tanggap.cases.actions import link_contacts
    from tanggap.cases.queries import earlier_cases

    now = timezone.now()
    first = desk.inbound(external_id="e1", author_id="w1", now=now).case
    desk.inbound(external_id="e2", author_id="w2", now=now)
    on_x = desk.inbound(external_id="e3", author_id="w1", thread_id="t",
                        channel=desk.x, now=now).case
    plans = _plans_of(lambda: list(earlier_cases(first)))
    assert list(plans.values()) == [[
        "SEARCH cases_contact USING INTEGER PRIMARY KEY (rowid=?)",
        "SEARCH cases_case USING INDEX case_thread_idx (contact_id=?)",
        "SEARCH connectors_channelaccount USING INTEGER PRIMARY KEY (rowid=?)",
        "USE TEMP B-TREE FOR ORDER BY",
    ]]
    assert [c.pk for c in earlier_cases(first)] == []

    link_contacts(contact_id=first.contact_id, other_id=on_x.contact_id, actor=desk.ani.user,
                  now=now)
    first.contact.refresh_from_db()
    plans = _plans_of(lambda: [c.pk for c in earlier_cases(first)])
    steps = [step for steps in plans.values() for step in steps]
    assert steps[:2] == [
        "SEARCH cases_contact USING INDEX contact_person_idx (person_id=?)",
        "SEARCH cases_case USING INDEX case_thread_idx (contact_id=?)",
    ]
    assert [c.pk for c in earlier_cases(first)] == [on_x.pk]


def test_the_foreign_keys_null_on_most_rows_are_read_by_their_partial_indexes(desk):
    """Migrations 0016 and 0017: who claimed, answered or sent, a linked person and a handed-over
    conversation are indexed over their non-null rows only (a citizen's message inserts none of
    them), and a lookup by value, as the inbox's "mine", a user's removal (PROTECT's check) and
    a person's contacts ask it, still searches that index."""
    from tanggap.audit.models import AuditEvent
    from tanggap.cases.models import Case, Contact, Message

    user = desk.ani.user
    lookups = [
        (Case.objects.filter(claimed_by=user), "case_claimed_by_idx (claimed_by_id=?)"),
        (Case.objects.filter(claimed_by__in=[user.pk, user.pk + 1]),
         "case_claimed_by_idx (claimed_by_id=?)"),
        (Case.objects.filter(answered_by=user), "case_answered_by_idx (answered_by_id=?)"),
        (Case.objects.filter(speaking_workspace=desk.dlh),
         "case_speaking_ws_idx (speaking_workspace_id=?)"),
        (Message.objects.filter(sent_by=user), "message_sent_by_idx (sent_by_id=?)"),
        (Contact.objects.filter(person_id=1), "contact_person_idx (person_id=?)"),
        (AuditEvent.objects.filter(case_id=1), "audit_case_idx (case_id=?)"),
        # Migration 0017: a workspace's contacts by the identity constraint that leads with it.
        (Contact.objects.filter(workspace=desk.bpn, platform="web", external_id="w1"),
         "sqlite_autoindex_cases_contact_1 (workspace_id=? AND platform=? AND external_id=?)"),
        (Contact.objects.filter(workspace=desk.bpn), "sqlite_autoindex_cases_contact_1 "
                                                     "(workspace_id=?)"),
    ]
    for queryset, index in lookups:
        assert queryset.explain().splitlines()[-1].endswith(f"USING INDEX {index}"), \
            (str(queryset.query), queryset.explain())
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE name IN (%s, %s, %s, %s, %s)",
                       ["case_claimed_by_idx", "case_answered_by_idx", "case_speaking_ws_idx",
                        "message_sent_by_idx", "contact_person_idx"])
        partial = {name: sql.endswith("IS NOT NULL") for name, sql in cursor.fetchall()}
    assert partial == dict.fromkeys(partial, True) and len(partial) == 5
