"""The outbox port: the cases room hands a reply to the deliverer registered by the room above
it (connectors), after commit, and refuses to store a reply that nobody would deliver."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases import outbox
from tanggap.cases.actions import claim_case, send_reply
from tanggap.cases.models import Case, Message
from tanggap.connectors.tasks import enqueue_delivery

REPLY = "Terima kasih, laporan Bapak sudah kami teruskan ke dinas terkait."


@pytest.fixture
def deliveries(monkeypatch):
    """Swap the registered deliverer for a recorder (the slot is restored after the test)."""
    woken: list[int] = []
    monkeypatch.setattr(outbox, "_deliverer", woken.append)
    return woken


def _claimed_case(desk):
    case = desk.inbound().case
    return claim_case(case_id=case.pk, actor=desk.ani.user, now=timezone.now())


def test_connectors_registered_its_deliverer_at_start_up():
    assert outbox._deliverer is enqueue_delivery
    assert outbox.check_deliverer() == []


def test_the_deliverer_is_woken_with_the_reply_only_after_commit(
        desk, deliveries, django_capture_on_commit_callbacks):
    case = _claimed_case(desk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = send_reply(case_id=case.pk, actor=desk.ani.user, text=REPLY,
                            idempotency_key="k1", base_version=case.version, now=timezone.now())
    assert deliveries == []
    for callback in callbacks:
        callback()
    assert deliveries == [result.message.pk]


def test_a_repeated_send_wakes_nobody_again(desk, deliveries, django_capture_on_commit_callbacks):
    case = _claimed_case(desk)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            send_reply(case_id=case.pk, actor=desk.ani.user, text=REPLY, idempotency_key="k1",
                       base_version=case.version, now=timezone.now())
    assert deliveries == [Message.objects.get(case=case, direction="out").pk]


def test_without_a_deliverer_no_reply_is_stored(desk, monkeypatch):
    case = _claimed_case(desk)
    monkeypatch.setattr(outbox, "_deliverer", None)
    with pytest.raises(ImproperlyConfigured):
        send_reply(case_id=case.pk, actor=desk.ani.user, text=REPLY, idempotency_key="k1",
                   base_version=case.version, now=timezone.now())
    assert not Message.objects.filter(case=case, direction="out").exists()
    assert Case.objects.get(pk=case.pk).status == "diklaim"
    assert not AuditEvent.objects.filter(case=case, action="case.replied").exists()
    [error] = outbox.check_deliverer()
    assert error.id == "cases.E001"


def test_a_second_different_deliverer_is_refused(monkeypatch):
    monkeypatch.setattr(outbox, "_deliverer", enqueue_delivery)
    outbox.register_deliverer(enqueue_delivery)  # ready() running twice is harmless
    with pytest.raises(ImproperlyConfigured):
        outbox.register_deliverer(lambda message_id: None)
    assert outbox._deliverer is enqueue_delivery
