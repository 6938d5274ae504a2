"""The precompiled inserts (tanggap.conf.statements.create / insert_values) store exactly the row,
and return exactly the instance, that the ORM's objects.create does: same columns, same value
conversions (an aware datetime in another zone, a TextChoices member, JSON, a float, a null
foreign key), same defaults. Runs on SQLite and on PostgreSQL (./scripts/test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.forms.models import model_to_dict

from tanggap.audit import events
from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Case, CaseKind, CaseStatus, Contact, Direction, Message
from tanggap.conf import statements

WITA = timezone(timedelta(hours=8))


def _columns(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields
            if not f.primary_key}


def _stored(model, pk) -> dict:
    row = model.objects.values().get(pk=pk)
    row.pop(model._meta.pk.attname)
    return row


@pytest.fixture
def contact(desk):
    return Contact.objects.create(workspace=desk.bpn, platform="web", external_id="w-1",
                                  display_name="Warga", created_at=datetime.now(UTC))


def test_a_case_is_stored_and_returned_as_objects_create_does(desk, contact):
    now = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=WITA)
    values = {"workspace_id": desk.bpn.pk, "channel_id": desk.web.pk, "contact_id": contact.pk,
              "kind": CaseKind.ADUAN, "status": CaseStatus.BARU, "topic": "jalan",
              "triage_confidence": 0.8125, "triage_suggestions": [{"topic": "jalan", "p": 0.8}],
              "triage_reasons": ["topik:jalan"], "kasar": True,
              "last_inbound_at": now, "created_at": now, "updated_at": now}
    made = statements.create(Case, {**values, "tracking_number": "TG-AAAA-BBBB-CCCC"},
                             related={"channel": desk.web, "contact": contact})
    orm = Case.objects.create(**values, tracking_number="TG-AAAA-BBBB-DDDD")
    assert _stored(Case, made.pk) == {**_stored(Case, orm.pk),
                                      "tracking_number": "TG-AAAA-BBBB-CCCC"}
    assert _columns(made) == {**_columns(orm), "tracking_number": "TG-AAAA-BBBB-CCCC"}
    assert Case.objects.get(pk=made.pk).last_inbound_at == now  # stored as the same instant
    assert made.claimed_by_id is None and made.version == 1  # the fields' defaults
    assert made.contact is contact and made.channel is desk.web  # cached: no query
    assert made._state.adding is False and made._state.db == "default"


def test_datetimes_of_one_request_and_of_the_next_are_each_stored_as_given(desk, contact):
    """The SQLite conversion of the last datetime is kept for the next column that passes the
    very same object (one `now` per request); another object is converted anew."""
    first = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=WITA)
    later = datetime(2026, 3, 1, 9, 30, 15, 123457, tzinfo=WITA)
    values = {"workspace_id": desk.bpn.pk, "channel_id": desk.web.pk, "contact_id": contact.pk}
    one = statements.create(Case, {**values, "tracking_number": "TG-AAAA-BBBB-0001",
                                   "last_inbound_at": first, "created_at": first,
                                   "updated_at": first})
    two = statements.create(Case, {**values, "tracking_number": "TG-AAAA-BBBB-0002",
                                   "last_inbound_at": later, "created_at": first,
                                   "updated_at": later})
    stored = Case.objects.values_list("last_inbound_at", "created_at", "updated_at")
    assert stored.get(pk=one.pk) == (first, first, first)
    assert stored.get(pk=two.pk) == (later, first, later)


def test_a_message_with_nulls_json_and_a_choice(desk, contact):
    case = desk.inbound().case
    now = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    values = {"workspace_id": desk.bpn.pk, "case_id": case.pk, "channel_id": desk.web.pk,
              "direction": Direction.IN, "external_id": None, "text": "Air keruh",
              "truncated_from": 12000, "author_name": "Warga", "attachments": [{"u": "x"}],
              "platform_created_at": None, "created_at": now, "triage": {"topic": "air"}}
    made = statements.create(Message, values, related={"case": case})
    orm = Message.objects.create(**values)
    assert _stored(Message, made.pk) == _stored(Message, orm.pk)
    assert model_to_dict(made, exclude=["id"]) == model_to_dict(orm, exclude=["id"])
    assert _columns(made) == _columns(orm)


def test_an_audit_event_is_the_row_the_orm_wrote(desk, contact):
    case = desk.inbound().case
    now = datetime(2026, 3, 1, 1, 0, tzinfo=WITA)
    pk = events.record(workspace_id=desk.bpn.pk, actor=None, action="case.opened", now=now,
                       case=case, obj=case, before={"a": [1, "é"]}, after={"b": None})
    orm = AuditEvent.objects.create(workspace_id=desk.bpn.pk, actor=None, action="case.opened",
                                    case=case, object_type="case", object_id=str(case.pk),
                                    before={"a": [1, "é"]}, after={"b": None}, created_at=now)
    assert _stored(AuditEvent, pk) == _stored(AuditEvent, orm.pk)


def test_an_unknown_column_is_refused_before_anything_is_written(desk):
    with pytest.raises(TypeError, match="no column"):
        statements.insert_values(AuditEvent, {"workspace_id": desk.bpn.pk, "case": None})
    assert not AuditEvent.objects.filter(workspace_id=desk.bpn.pk, action="").exists()


def test_a_duplicate_raises_djangos_integrity_error_and_writes_nothing(desk, contact):
    # ingest_inbound retries on django.db.IntegrityError: the driver's own error must not leak
    # from the statements that bypass Django's cursor on SQLite.
    from django.db import IntegrityError, transaction

    duplicate = {"workspace_id": desk.bpn.pk, "platform": "web", "external_id": "w-1",
                 "display_name": "Lagi", "created_at": datetime.now(UTC)}
    with pytest.raises(IntegrityError), transaction.atomic():
        statements.insert_values(Contact, duplicate)
    assert list(Contact.objects.filter(workspace=desk.bpn).values_list("display_name",
                                                                       flat=True)) == ["Warga"]


def test_a_broken_transaction_is_refused_as_by_djangos_cursor(desk, contact):
    from django.db import transaction
    from django.db.transaction import TransactionManagementError

    sql = f"SELECT display_name FROM {statements.table(Contact)} WHERE id = %s"
    with transaction.atomic():
        assert statements.fetchone(sql, [contact.pk]) == ("Warga",)
        transaction.set_rollback(True)
        with pytest.raises(TransactionManagementError):
            statements.fetchone(sql, [contact.pk])


def test_every_statement_is_seen_where_django_is_asked_to_see_it(desk, contact):
    # Query-count tests and execute wrappers see the statements that run on the driver's own
    # cursor otherwise (SQLite), with their "%s" placeholders as Django's cursor has them.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sql = f"SELECT display_name FROM {statements.table(Contact)} WHERE id = %s AND '%%' = '%%'"
    assert statements.fetchone(sql, [contact.pk]) == ("Warga",)  # "%%" is a literal "%"
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        assert statements.fetchall(sql, [contact.pk]) == [("Warga",)]
    with CaptureQueriesContext(connection) as captured:
        assert statements.fetchone(sql, [contact.pk]) == ("Warga",)
    assert seen == [sql]
    assert len(captured.captured_queries) == 1
    assert captured.captured_queries[0]["sql"].startswith(
        f"SELECT display_name FROM {statements.table(Contact)} WHERE id = {contact.pk}")
