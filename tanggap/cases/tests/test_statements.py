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
