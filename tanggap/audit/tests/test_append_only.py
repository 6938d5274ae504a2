import pytest
from django.db import connection, transaction
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import add_note, claim_case


def test_every_action_on_a_case_leaves_its_event(desk):
    case = desk.inbound().case
    now = timezone.now()
    claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    add_note(case_id=case.pk, actor=desk.ani.user, text="Sudah koordinasi dengan PLN", now=now)
    assert list(AuditEvent.objects.filter(case=case).order_by("id").values_list(
        "action", "actor__username")) == [
        ("case.opened", None), ("case.claimed", "ani"), ("note.added", "ani")]


def test_events_cannot_be_changed_through_the_orm(desk):
    desk.inbound()
    event = AuditEvent.objects.first()
    event.action = "forged"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(action="forged")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(action="forged").count() == 0


def test_database_refuses_raw_update(desk):
    desk.inbound()
    with pytest.raises(Exception) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'forged'")
    assert "append-only" in str(refused.value)
    assert AuditEvent.objects.filter(action="forged").count() == 0


def test_case_page_shows_the_trail(desk):
    case = desk.inbound().case
    claim_case(case_id=case.pk, actor=desk.ani.user, now=timezone.now())
    desk.audi.client.force_login(desk.audi.user)
    page = desk.audi.client.get(f"/w/bpn/cases/{case.pk}/").content.decode()
    assert "case.claimed" in page
    assert "case.opened" in page
