"""One bad event of a signed Meta delivery never rolls back its neighbours: good events are
stored, an over-long text is stored shortened and marked, a timestamp beyond any date is kept
as unknown, and an event the desk cannot store (a lone surrogate, a bug) becomes a dead letter
of its channel with the reason, which the channel's admins retry or discard (audited). A delivery that
fails as a whole is retried up to CONNECTORS_WEBHOOK_MAX_ATTEMPTS, then dead-lettered."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Message
from tanggap.connectors.actions import webhooks
from tanggap.connectors.actions.webhooks import (
    drain_webhook_deliveries,
    process_webhook_delivery,
    receive_webhook,
)
from tanggap.connectors.models import FailedWebhookEvent, WebhookDelivery
from tanggap.connectors.sweep import sweep_stalled
from tanggap.connectors.testing.fakes import add_proven_channel
from tanggap.workspaces.actions.members import add_member

PAGE = "104512345678901"
LIMIT = 10_000


def _comment(n, text, created="1764299990"):
    value = json.dumps({"from": {"id": f"warga-{n}", "name": f"Warga {n}"},
                        "post_id": f"{PAGE}_1", "comment_id": f"1_{n}", "created_time": "T",
                        "item": "comment", "verb": "add", "message": text})
    # The time goes in as text: json.dumps would not write a number beyond any date.
    return '{"field": "feed", "value": ' + value.replace('"T"', created) + "}"


def _delivery(*changes):
    return ('{"object": "page", "entry": [{"id": "' + PAGE + '", "time": 1764300000, '
            '"changes": [' + ", ".join(changes) + "]}]}").encode()


@pytest.fixture
def facebook(desk):
    return add_proven_channel(workspace=desk.bpn, platform="facebook", handle=PAGE,
                       now=timezone.now(), token="EAAG-t")


def _bad_delivery(now):
    long_text = "Lampu jalan mati. " * 600  # 10,800 characters
    receipt = receive_webhook(source="meta", body=_delivery(
        _comment(1, "Jalan berlubang di Sepinggan"),
        _comment(2, "Sampah menumpuk \ud800 di pasar"),  # a lone surrogate
        _comment(3, "Banjir di Gunung Sari", created="1e400"),  # overflows any date
        _comment(4, long_text),
        _comment(5, "Terima kasih atas perbaikannya")), now=now)
    return receipt.delivery_id, long_text.strip()


def test_one_bad_event_does_not_roll_back_the_good_ones(desk, facebook):
    now = timezone.now()
    delivery_id, long_text = _bad_delivery(now)
    result = process_webhook_delivery(delivery_id=delivery_id, now=now)
    assert (result.stored, result.failed) == (4, 1)
    stored = {m.external_id: m for m in Message.objects.filter(channel=facebook)}
    assert sorted(stored) == ["1_1", "1_3", "1_4", "1_5"]
    assert stored["1_3"].platform_created_at is None  # kept, with our receipt time
    assert (stored["1_4"].text, stored["1_4"].truncated_from) == (long_text[:LIMIT],
                                                                 len(long_text))
    assert stored["1_1"].truncated_from is None
    [failed] = FailedWebhookEvent.objects.all()
    assert (failed.channel, failed.event_id, failed.state, failed.attempts) == (
        facebook, "1_2", "failed", 1)
    # Refused by the desk's one set of text rules (cases.cleaning), in the desk's language.
    assert failed.reason == ("refused: 'text' berisi karakter yang tidak dapat disimpan "
                             "(surrogate tanpa pasangan).")
    # The event as it came: a one-entry envelope holding only that comment.
    raw = json.loads(failed.raw)
    assert (raw["object"], raw["entry"][0]["id"], len(raw["entry"][0]["changes"])) == (
        "page", PAGE, 1)
    assert raw["entry"][0]["changes"][0]["value"]["comment_id"] == "1_2"
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    # Processed once, not retried for ever.
    assert (delivery.processed_at, delivery.attempts, delivery.dead_at) == (now, 1, None)
    assert delivery.error == f"facebook 1_2: {failed.reason}"
    assert sweep_stalled(now=now + timedelta(hours=1), after_seconds=120).webhooks == 0


def test_the_shortened_text_is_marked_on_the_case_page(desk, facebook):
    now = timezone.now()
    delivery_id, long_text = _bad_delivery(now)
    process_webhook_delivery(delivery_id=delivery_id, now=now)
    message = Message.objects.get(external_id="1_4")
    desk.ani.client.force_login(desk.ani.user)
    panel = desk.ani.client.get(f"/w/bpn/cases/{message.case_id}/panel").content.decode()
    assert (f'<p class="hint truncated">Dipotong: warga menulis {len(long_text)} karakter; '
            "hanya bagian awalnya yang ditampilkan.</p>") in panel


def _failing_ingest(bad_ids):
    real = webhooks.ingest_inbound

    def ingest(**kwargs):
        if kwargs["external_id"] in bad_ids:
            raise RuntimeError("a bug in ingest")
        return real(**kwargs)

    return ingest


def _state():
    return (list(FailedWebhookEvent.objects.order_by("pk").values_list("state", "attempts")),
            Message.objects.count(), AuditEvent.objects.count())


def test_admins_see_dead_letters_and_retry_or_discard_them_audited(desk, facebook, admin):
    user, client = admin.user, admin
    now = timezone.now()
    receipt = receive_webhook(source="meta", body=_delivery(
        _comment(1, "Jalan berlubang"), _comment(2, "Lampu mati"), _comment(3, "Air keruh")),
        now=now)
    with mock.patch.object(webhooks, "ingest_inbound", _failing_ingest({"1_2", "1_3"})):
        process_webhook_delivery(delivery_id=receipt.delivery_id, now=now)
    first, second = FailedWebhookEvent.objects.order_by("pk")
    assert Message.objects.filter(channel=facebook).count() == 1

    page = client.get("/w/bpn/channels/").content.decode()
    assert "2 peristiwa webhook tidak dapat disimpan" in page
    page = client.get("/w/bpn/channels/dead-letters/").content.decode()
    assert page.count("could not be stored: RuntimeError: a bug in ingest") == 2
    assert f'id="dead-letter-{first.pk}"' in page and "&quot;1_2&quot;" in page

    # Retried while the bug is still there: it stays, with one more try.
    with mock.patch.object(webhooks, "ingest_inbound", _failing_ingest({"1_2"})):
        response = client.post(f"/w/bpn/channels/dead-letters/{first.pk}/retry")
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.state, first.attempts) == ("failed", 2)
    # Fixed: retried, the citizen's message is stored once.
    client.post(f"/w/bpn/channels/dead-letters/{first.pk}/retry")
    client.post(f"/w/bpn/channels/dead-letters/{second.pk}/discard")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.attempts, first.resolved_by) == ("retried", 3, user)
    assert (second.state, second.resolved_by) == ("discarded", user)
    assert list(Message.objects.filter(channel=facebook).order_by("id").values_list(
        "external_id", flat=True)) == ["1_1", "1_2"]
    audit = list(AuditEvent.objects.filter(action__startswith="webhook_event.").order_by("id")
                 .values_list("action", "workspace_id", "actor", "object_id"))
    assert audit == [
        ("webhook_event.retry_failed", desk.bpn.pk, user.pk, str(first.pk)),
        ("webhook_event.retried", desk.bpn.pk, user.pk, str(first.pk)),
        ("webhook_event.discarded", desk.bpn.pk, user.pk, str(second.pk))]
    # Done is done: a second retry is refused with a message, nothing changes.
    before = _state()
    client.post(f"/w/bpn/channels/dead-letters/{first.pk}/retry")
    assert _state() == before


def test_dead_letters_are_for_the_workspaces_admins_only(desk, facebook, admin):
    now = timezone.now()
    receipt = receive_webhook(source="meta", body=_delivery(_comment(2, "Lampu mati")), now=now)
    with mock.patch.object(webhooks, "ingest_inbound", _failing_ingest({"1_2"})):
        process_webhook_delivery(delivery_id=receipt.delivery_id, now=now)
    [record] = FailedWebhookEvent.objects.all()
    other_admin = add_member(workspace=desk.dlh, username="dina", role="admin",
                             password="kata-sandi-uji", now=now).user
    before = _state()
    for persona, status in ((desk.ani, 403), (desk.audi, 403), (desk.luar, 404)):
        client = persona.client
        client.force_login(persona.user)
        assert client.get("/w/bpn/channels/dead-letters/").status_code == status
        for verb in ("retry", "discard"):
            assert client.post(f"/w/bpn/channels/dead-letters/{record.pk}/{verb}"
                               ).status_code == status
    # An admin of another workspace, through their own pages: never this workspace's event.
    client = Client()
    client.force_login(other_admin)
    assert client.get("/w/dlh/channels/dead-letters/").content.decode().count(
        "dead-letter-") == 0
    for verb in ("retry", "discard"):
        assert client.post(f"/w/dlh/channels/dead-letters/{record.pk}/{verb}").status_code == 404
    assert _state() == before


def test_a_database_outage_fails_the_whole_delivery_which_is_retried_later(desk, facebook):
    now = timezone.now()
    receipt = receive_webhook(source="meta", body=_delivery(
        _comment(1, "Jalan berlubang"), _comment(2, "Lampu mati")), now=now)
    real = webhooks.ingest_inbound

    def outage(**kwargs):
        if kwargs["external_id"] == "1_2":
            raise OperationalError("database is locked")
        return real(**kwargs)

    with mock.patch.object(webhooks, "ingest_inbound", outage):
        result = drain_webhook_deliveries(source="meta", clock=lambda: now, limit=10)
    assert result.failed == [receipt.delivery_id]
    # Nothing half-written: not even the good comment; it all comes again.
    assert Message.objects.filter(channel=facebook).count() == 0
    assert FailedWebhookEvent.objects.count() == 0
    drain_webhook_deliveries(source="meta", clock=lambda: now, limit=10)
    assert Message.objects.filter(channel=facebook).count() == 2


def test_a_delivery_failing_every_time_is_dead_lettered_after_the_cap(desk, facebook, settings):
    settings.CONNECTORS_WEBHOOK_MAX_ATTEMPTS = 3
    now = timezone.now()
    receipt = receive_webhook(source="meta", body=_delivery(
        _comment(1, "Jalan berlubang"), _comment(2, "Lampu mati")), now=now)
    broken = mock.patch.object(webhooks, "process_webhook_delivery",
                               side_effect=RuntimeError("a bug outside any event"))
    with broken:
        for _ in range(2):
            drain_webhook_deliveries(source="meta", clock=lambda: now, limit=10)
        delivery = WebhookDelivery.objects.get(pk=receipt.delivery_id)
        assert (delivery.attempts, delivery.dead_at) == (2, None)
        drain_webhook_deliveries(source="meta", clock=lambda: now, limit=10)
    delivery = WebhookDelivery.objects.get(pk=receipt.delivery_id)
    assert (delivery.attempts, delivery.dead_at, delivery.processed_at) == (3, now, None)
    reasons = list(FailedWebhookEvent.objects.order_by("pk").values_list("channel", "reason"))
    why = ("the delivery failed 3 times: processing failed: "
           "RuntimeError('a bug outside any event')")
    assert reasons == [(facebook.pk, why), (facebook.pk, why)]
    # Not offered again: neither by a drain nor by the sweep.
    assert drain_webhook_deliveries(source="meta", clock=lambda: now, limit=10).processed == 0
    assert sweep_stalled(now=now + timedelta(hours=1), after_seconds=120).webhooks == 0


def test_the_command_lists_dead_deliveries_and_waiting_events(desk, facebook, settings, capsys):
    from django.core.management import call_command

    call_command("webhooks")
    assert capsys.readouterr().out == "every webhook was stored\n"
    settings.CONNECTORS_WEBHOOK_MAX_ATTEMPTS = 1
    now = timezone.now()
    receipt = receive_webhook(source="meta", body=_delivery(_comment(1, "Jalan berlubang")),
                              now=now)
    with mock.patch.object(webhooks, "process_webhook_delivery",
                           side_effect=RuntimeError("a bug")):
        drain_webhook_deliveries(source="meta", clock=lambda: now, limit=10)
    call_command("webhooks")
    assert capsys.readouterr().out == (
        f"dead delivery {receipt.delivery_id} (meta) received {now.isoformat()} attempts=1 "
        "error=processing failed: RuntimeError('a bug')\n"
        "workspace bpn: 1 webhook events not stored\n")
