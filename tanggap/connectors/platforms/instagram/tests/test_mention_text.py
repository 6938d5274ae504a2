"""The words of an Instagram mention: the drain stores a placeholder and queues a fetch on
commit; the fetch asks the IG User node (mentioned_comment / mentioned_media) outside any
transaction, then replaces the placeholder and triages the case; failures are audited, final
ones shown on the message; the sweep asks again for what is still pending."""

from datetime import timedelta
from unittest import mock

import httpx
import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Message
from tanggap.connectors.actions.webhooks import process_webhook_delivery, receive_webhook
from tanggap.connectors.mentions import fetch_message_text
from tanggap.connectors.sweep import sweep_stalled
from tanggap.connectors.testing.fakes import (
    FakeAPI,
    add_proven_channel,
    fixture,
    fixture_bytes,
    legacy_channel,
)

IG = "17841400000000001"
COMMENT_PLACEHOLDER = "[disebut dalam komentar 17894227972186120 pada media 17918195224117851]"
CAPTION_PLACEHOLDER = "[disebut dalam postingan pada media 17920112008063024]"


@pytest.fixture
def channel(desk):
    return add_proven_channel(workspace=desk.bpn, platform="instagram", handle=IG, now=timezone.now(),
                       token="EAAG-page-token")


def _ingest(name, now, capture):
    delivery = receive_webhook(source="meta", body=fixture_bytes("instagram", name), now=now)
    with capture(execute=True):
        process_webhook_delivery(delivery_id=delivery.delivery_id, now=now)
    return Message.objects.get(channel__handle=IG, external_id__startswith="mention:")


def _fetches():
    return list(DBTaskResult.objects.filter(task_path__endswith=".fetch_mention_text")
                .values_list("args_kwargs", flat=True))


def _events(message):
    return list(AuditEvent.objects.filter(object_type="message", object_id=str(message.pk))
                .order_by("id").values_list("action", "after"))


def test_the_drain_stores_the_placeholder_and_queues_the_fetch_after_commit(
        channel, django_capture_on_commit_callbacks):
    message = _ingest("mentions", timezone.now(), django_capture_on_commit_callbacks)
    assert message.text == COMMENT_PLACEHOLDER
    assert _fetches() == [{"args": [message.pk], "kwargs": {}}]


def test_a_comment_mention_gets_its_words_and_triages_the_case(
        channel, django_capture_on_commit_callbacks):
    now = timezone.now()
    message = _ingest("mentions", now, django_capture_on_commit_callbacks)
    api = FakeAPI().on("GET", f"/{IG}", fixture("instagram", "mentioned_comment"))
    with mock.patch("tanggap.cases.actions.publish_on_commit") as publish:
        assert fetch_message_text(message_id=message.pk, now=now, http=api.http()) == "fetched"
    [call] = api.requests
    assert (call.url.path, dict(call.url.params)) == (
        f"/v26.0/{IG}", {"fields": "mentioned_comment.comment_id(17894227972186120){id,text}"})
    assert call.headers["authorization"] == "Bearer EAAG-page-token"
    message.refresh_from_db()
    case = message.case
    assert message.text == ("Lampu PJU di Jl. Sudirman mati sudah seminggu @pemkotbpn tolong "
                            "diperbaiki")
    assert (message.triage["topic"], message.triage["intent"]) == ("penerangan_jalan", "aduan")
    # The words arrived after the case was opened: a reply drafted at version 1 is now stale.
    assert (case.topic, case.intent, case.version) == ("penerangan_jalan", "aduan", 2)
    assert _events(message) == [("message.text_fetched", {
        "source": "mentioned_comment", "chars": 74, "topic": "penerangan_jalan",
        "intent": "aduan", "case_fields": ["topic", "triage_confidence", "triage_suggestions",
                                           "triage_unsure", "intent", "triage_reasons"]})]
    publish.assert_called_once_with(case.workspace_id, {
        "kind": "case", "reason": "message_text", "case_id": case.pk, "message_id": message.pk,
        "status": "baru", "version": 2})
    # Twice (a retried task, the sweep): nothing to do, no call.
    assert fetch_message_text(message_id=message.pk, now=now, http=api.http()) is None
    assert len(api.requests) == 1


def test_a_caption_mention_gets_the_caption_and_its_author(
        channel, django_capture_on_commit_callbacks):
    now = timezone.now()
    message = _ingest("mentions_caption", now, django_capture_on_commit_callbacks)
    assert message.text == CAPTION_PLACEHOLDER
    api = FakeAPI().on("GET", f"/{IG}", fixture("instagram", "mentioned_media"))
    assert fetch_message_text(message_id=message.pk, now=now, http=api.http()) == "fetched"
    assert api.requests[0].url.params["fields"] == (
        "mentioned_media.media_id(17920112008063024){id,caption,username}")
    message.refresh_from_db()
    assert (message.text, message.author_name, message.case.topic) == (
        "Jalan berlubang di depan pasar pandansari pemkotbpn", "warga_bpn", "jalan")


def test_a_refusal_shows_on_the_message_and_is_not_asked_again(
        channel, django_capture_on_commit_callbacks):
    now = timezone.now()
    message = _ingest("mentions", now, django_capture_on_commit_callbacks)
    # The reference: the call errors when comments are disabled on the media.
    api = FakeAPI().on("GET", f"/{IG}", httpx.Response(400, json={"error": {
        "message": "(#100) Comments are disabled", "type": "OAuthException", "code": 100}}))
    assert fetch_message_text(message_id=message.pk, now=now, http=api.http()) == "failed"
    assert len(api.requests) == 1
    message.refresh_from_db()
    error = "platform_refused: HTTP 400 code 100: (#100) Comments are disabled"
    assert message.text == (f"{COMMENT_PLACEHOLDER[:-1]}; teks tidak dapat diambil: {error}]")
    assert _events(message) == [("message.text_fetch_failed", {"error": error, "final": True})]
    assert sweep_stalled(now=now + timedelta(minutes=5), after_seconds=120).mentions == []


def test_an_unavailable_platform_is_asked_again_later_then_given_up(
        channel, django_capture_on_commit_callbacks, settings):
    settings.CONNECTORS_MAX_ATTEMPTS = 2
    now = timezone.now()
    message = _ingest("mentions", now, django_capture_on_commit_callbacks)
    DBTaskResult.objects.all().delete()
    api = FakeAPI().on("GET", f"/{IG}", httpx.Response(503, json={"error": {
        "message": "Service temporarily unavailable", "code": 2, "is_transient": True}}))
    assert fetch_message_text(message_id=message.pk, now=now, http=api.http()) == "retry"
    # One attempt per run: the task is queued again to run after the back-off, no worker waits.
    assert len(api.requests) == 1
    assert list(DBTaskResult.objects.values_list("args_kwargs", "run_after")) == [
        ({"args": [message.pk], "kwargs": {}}, now + timedelta(seconds=0.5))]
    message.refresh_from_db()
    assert message.text == COMMENT_PLACEHOLDER
    # Should that task be lost, the sweep asks again.
    DBTaskResult.objects.all().delete()
    assert sweep_stalled(now=now, after_seconds=120).mentions == []  # too young
    assert sweep_stalled(now=now + timedelta(minutes=5), after_seconds=120).mentions == [
        message.pk]
    assert _fetches() == [{"args": [message.pk], "kwargs": {}}]
    assert fetch_message_text(message_id=message.pk, now=now, http=api.http()) == "failed"
    message.refresh_from_db()
    error = "platform_unavailable: HTTP 503 code 2: Service temporarily unavailable"
    assert message.text == f"{COMMENT_PLACEHOLDER[:-1]}; teks tidak dapat diambil: {error}]"
    assert _events(message) == [("message.text_fetch_failed", {"error": error, "final": False}),
                                ("message.text_fetch_failed", {"error": error, "final": True})]


def test_a_channel_without_a_token_says_so_without_a_call(
        desk, django_capture_on_commit_callbacks):
    legacy_channel(workspace=desk.bpn, platform="instagram", handle=IG, now=timezone.now())
    now = timezone.now()
    message = _ingest("mentions", now, django_capture_on_commit_callbacks)
    api = FakeAPI()
    assert fetch_message_text(message_id=message.pk, now=now, http=api.http()) == "failed"
    assert api.requests == []
    message.refresh_from_db()
    assert message.text.endswith("teks tidak dapat diambil: no_credentials: the account "
                                 f"{IG} has no access token]")


def test_two_workers_record_the_words_once(channel, django_capture_on_commit_callbacks):
    """Two workers fetched at once: the second finds the placeholder gone and records nothing."""
    now = timezone.now()
    message = _ingest("mentions", now, django_capture_on_commit_callbacks)
    from tanggap.cases.actions import record_fetched_text

    kwargs = {"message_id": message.pk, "placeholder": COMMENT_PLACEHOLDER, "text": "Halo",
              "author_name": "", "source": "mentioned_comment", "now": now}
    assert record_fetched_text(**kwargs) is not None
    assert record_fetched_text(**kwargs) is None
    assert [action for action, _ in _events(message)] == ["message.text_fetched"]
    assert Message.objects.get(pk=message.pk).text == "Halo"
