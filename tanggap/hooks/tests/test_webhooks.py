"""Outgoing webhooks, proved against a real HTTPS receiver on 127.0.0.1: case events become
signed JSON deliveries, in order per case, retried with back-off, recorded, and an endpoint
that keeps failing is switched off with a notice to the admins."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import claim_case, send_reply, set_case_status
from tanggap.connectors.crypto import decrypt_secret
from tanggap.hooks import delivery, events
from tanggap.hooks.actions import add_endpoint, set_endpoint_active
from tanggap.hooks.models import Delivery, Endpoint
from tanggap.hooks.tests.receiver import running_receiver
from tanggap.workspaces.actions.members import add_member

T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def receiver():
    with running_receiver() as running:
        yield running


@pytest.fixture
def admin(desk):
    membership = add_member(workspace=desk.bpn, username="adi", role="admin",
                            password="kata-sandi-uji", now=T0)
    membership.user.email = "adi@balikpapan.go.id"
    membership.user.save()
    return membership


def _endpoint(admin, url, events=None):
    return add_endpoint(membership=admin, actor=admin.user, url=url,
                        events=events or ["case.created", "case.claimed", "case.answered",
                                          "case.resolved", "case.closed", "case.referred"],
                        now=T0)


def _life(desk, at=T0, external_id="m1", author="w1"):
    case = desk.inbound(text="Lampu jalan di Jl. Sudirman mati sejak kemarin",
                        external_id=external_id, author_id=author, now=at).case
    claim_case(case_id=case.pk, actor=desk.ani.user, now=at)
    case.refresh_from_db()
    send_reply(case_id=case.pk, actor=desk.ani.user, idempotency_key=f"k-{external_id}",
               text="Terima kasih, laporan Bapak kami teruskan ke DPUPR.",
               base_version=case.version, now=at)
    set_case_status(case_id=case.pk, actor=desk.ani.user, status="selesai", now=at)
    return case


def _drain(endpoint, receiver, now):
    return delivery.drain(endpoint_id=endpoint.pk, clock=lambda: now, http=receiver.client())


def test_a_case_life_arrives_signed_and_in_order(desk, admin, receiver):
    created = _endpoint(admin, receiver.url)
    case = _life(desk)
    events.catch_up(now=T0)
    result = _drain(created.endpoint, receiver, T0)
    assert (result.delivered, result.failed) == (4, 0)
    bodies = [json.loads(r.body) for r in receiver.received]
    assert [b["type"] for b in bodies] == ["case.created", "case.claimed", "case.answered",
                                           "case.resolved"]
    assert {b["case"]["id"] for b in bodies} == {case.pk}
    assert bodies[1]["actor"] == "ani" and bodies[0]["actor"] is None
    assert bodies[3]["case"]["status"] == "selesai"
    assert "Sudirman" not in receiver.received[0].body.decode()  # no citizen's words
    secret = created.secret
    for request in receiver.received:
        expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        assert request.headers["x-tanggap-signature"] == expected
        assert request.headers["content-type"] == "application/json"
    assert receiver.received[0].headers["x-tanggap-event"] == "case.created"
    assert decrypt_secret(Endpoint.objects.get().secret_encrypted) == secret
    assert created.endpoint.secret_hint == secret[:10]
    # Nothing is sent twice.
    events.catch_up(now=T0)
    assert _drain(created.endpoint, receiver, T0).delivered == 0
    assert len(receiver.received) == 4


def test_only_subscribed_events_of_the_endpoints_workspace(desk, admin, receiver):
    created = _endpoint(admin, receiver.url, events=["case.resolved"])
    _life(desk)
    desk.inbound(channel=desk.dlh_web, external_id="d1", now=T0)
    events.catch_up(now=T0)
    _drain(created.endpoint, receiver, T0)
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["case.resolved"]


def test_a_failing_case_waits_for_its_retry_while_others_go_on(desk, admin, receiver):
    created = _endpoint(admin, receiver.url, events=["case.created", "case.claimed"])
    first = desk.inbound(external_id="a", author_id="w1", now=T0).case
    second = desk.inbound(external_id="b", author_id="w2", now=T0).case
    claim_case(case_id=first.pk, actor=desk.ani.user, now=T0)
    events.catch_up(now=T0)
    receiver.answers.put(503)  # the first case's creation fails once
    result = _drain(created.endpoint, receiver, T0)
    assert (result.delivered, result.failed) == (1, 1)
    sent = [(json.loads(r.body)["case"]["id"], json.loads(r.body)["type"])
            for r in receiver.received]
    # The first case's claim did not overtake its failed creation; the second case went on.
    assert sent == [(first.pk, "case.created"), (second.pk, "case.created")]
    failed = Delivery.objects.get(case_id=first.pk, event_type="case.created")
    assert (failed.attempts, failed.last_status, failed.next_attempt_at) == (
        1, "503", T0 + timedelta(seconds=30))
    # Before the back-off has passed, nothing of that case is sent.
    assert _drain(created.endpoint, receiver, T0 + timedelta(seconds=10)).delivered == 0
    later = T0 + timedelta(seconds=31)
    assert _drain(created.endpoint, receiver, later).delivered == 2
    assert [json.loads(r.body)["type"] for r in receiver.received[2:]] == [
        "case.created", "case.claimed"]
    endpoint = Endpoint.objects.get()
    assert (endpoint.failures_in_row, endpoint.last_status) == (0, "200")


def test_persistent_failure_switches_the_endpoint_off_and_tells_the_admins(
        desk, admin, receiver, settings, django_capture_on_commit_callbacks):
    settings.TANGGAP_HOOKS_MAX_ATTEMPTS = 3
    created = _endpoint(admin, receiver.url, events=["case.created"])
    desk.inbound(now=T0)
    events.catch_up(now=T0)
    for _ in range(3):
        receiver.answers.put(500)
    now = T0
    for attempt in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            result = _drain(created.endpoint, receiver, now)
        assert result.failed == 1
        now += delivery.backoff(attempt + 1) + timedelta(seconds=1)
    assert result.disabled
    endpoint = Endpoint.objects.get()
    assert not endpoint.active and "3" in endpoint.disabled_reason
    assert AuditEvent.objects.filter(action="webhook.disabled").count() == 1
    (notice,) = mail.outbox
    assert notice.to == ["adi@balikpapan.go.id"] and receiver.url in notice.body
    # Switched off: nothing is sent and no task is woken.
    assert _drain(created.endpoint, receiver, now).busy
    assert delivery.wake_due(now=now) == 0
    # Switched on again, the waiting event goes out.
    set_endpoint_active(membership=admin, actor=admin.user, endpoint_id=endpoint.pk,
                        active=True, now=now)
    assert _drain(created.endpoint, receiver, now).delivered == 1
    assert len(receiver.received) == 4


def test_the_periodic_job_wakes_one_task_per_endpoint(desk, admin, receiver):
    from django_tasks_db.models import DBTaskResult

    from tanggap.hooks.jobs import events_job
    from tanggap.periodic.registry import JobContext

    created = _endpoint(admin, receiver.url)
    _life(desk)
    ctx = JobContext(now=T0, clock=lambda: T0, keep_alive=lambda: True)
    assert "endpoints_woken=1" in events_job(ctx)
    # Already queued: not woken again until the task runs.
    assert "endpoints_woken=0" in events_job(ctx)
    (queued,) = DBTaskResult.objects.filter(task_path__endswith="deliver_endpoint")
    assert queued.args_kwargs["args"] == [created.endpoint.pk]
    assert Delivery.objects.filter(endpoint=created.endpoint).count() == 4


@pytest.mark.parametrize("url", ["http://example.org/hook", "ftp://example.org/x", "not a url",
                                 "https://user:pw@example.org/hook"])
def test_only_https_addresses(desk, admin, url):
    from tanggap.errors import InvalidInput

    with pytest.raises(InvalidInput):
        _endpoint(admin, url)
    assert not Endpoint.objects.exists()


def test_the_page_is_for_admins_and_shows_the_secret_once(desk, admin, receiver):
    from django.test import Client

    client = Client()
    client.force_login(admin.user)
    response = client.post("/w/bpn/webhooks/add", {"url": receiver.url,
                                                   "events": ["case.created"]})
    assert response.status_code == 200
    secret = response.context["new_secret"]
    assert secret.startswith("whsec_") and secret in response.content.decode()
    assert secret not in client.get("/w/bpn/webhooks/").content.decode()
    for persona, status in ((desk.sari, 403), (desk.ani, 403), (desk.audi, 403),
                            (desk.luar, 404)):
        persona.client.force_login(persona.user)
        assert persona.client.get("/w/bpn/webhooks/").status_code == status
        assert persona.client.post("/w/bpn/webhooks/add", {
            "url": receiver.url, "events": ["case.created"]}).status_code == status
    endpoint = Endpoint.objects.get()
    desk.luar.client.force_login(desk.luar.user)
    assert desk.luar.client.post(f"/w/bpn/webhooks/{endpoint.pk}",
                                 {"change": "remove"}).status_code == 404
    assert client.post(f"/w/bpn/webhooks/{endpoint.pk}", {"change": "off"}).status_code == 302
    assert not Endpoint.objects.get().active
    assert client.post("/w/bpn/webhooks/add", {"url": "http://x.org",
                                               "events": ["case.created"]}).status_code == 400
    assert Endpoint.objects.count() == 1
    assert client.post(f"/w/bpn/webhooks/{endpoint.pk}", {"change": "remove"}).status_code == 302
    assert not Endpoint.objects.exists()
    assert list(AuditEvent.objects.filter(action__startswith="webhook.").order_by("pk")
                .values_list("action", flat=True)) == ["webhook.added", "webhook.switched_off",
                                                       "webhook.removed"]


def test_the_command_adds_and_lists(desk, admin, capsys):
    call_command("webhook", "add", "bpn", "--url", "https://warehouse.balikpapan.go.id/in",
                 "--events", "case.created,case.closed")
    secret = capsys.readouterr().out.split()[-1]
    assert secret.startswith("whsec_")
    call_command("webhook", "list", "bpn")
    assert "warehouse.balikpapan.go.id/in on events=case.created,case.closed" in (
        capsys.readouterr().out)
