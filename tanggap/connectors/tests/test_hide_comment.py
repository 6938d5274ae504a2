"""POST /api/v1/messages/{id}/hide and the worker that applies it: roles, audit, exactly one
platform call through an injected fake, failures shown on the case page."""

from datetime import timedelta

import httpx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import ingest_inbound
from tanggap.connectors.actions.moderation import hide_comment
from tanggap.connectors.models import CommentModeration
from tanggap.connectors.moderation import apply_moderation
from tanggap.connectors.testing.fakes import (
    FakeAPI,
    add_proven_channel,
    legacy_channel,
    moderate_until_done,
)
from tanggap.errors import InvalidInput

PAGE = "104512345678901"
COMMENT = "998877665544332_1122334455667788"


@pytest.fixture
def comment(desk):
    now = timezone.now()
    facebook = add_proven_channel(workspace=desk.bpn, platform="facebook", handle=PAGE, now=now,
                           token="EAAG-page-token")
    return ingest_inbound(channel=facebook, external_id=COMMENT, author_id="warga9",
                          author_name="Warga", text="Dasar pejabat goblok", now=now,
                          thread_id=f"post:{PAGE}_1").message


def _hide(persona, message, hidden=True):
    return persona.post(f"/api/v1/messages/{message.pk}/hide", {"hidden": hidden})


def _state():
    return (CommentModeration.objects.count(), AuditEvent.objects.count(),
            DBTaskResult.objects.count())


def _queued():
    return list(DBTaskResult.objects.filter(task_path__endswith="moderate_comment")
                .values_list("args_kwargs", flat=True))


def test_operator_hides_a_comment_once_on_the_platform(desk, comment,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _hide(desk.ani, comment)
    assert response.status_code == 202
    assert response.json() == {"message_id": comment.pk, "hidden": True,
                               "platform_hidden": None, "state": "pending", "error": ""}
    assert _queued() == [{"args": [comment.pk], "kwargs": {}}]
    event = AuditEvent.objects.get(action="message.hide_requested")
    assert (event.actor, event.case_id, event.object_id, event.after) == (
        desk.ani.user, comment.case_id, str(comment.pk),
        {"hidden": True, "platform": "facebook", "comment_id": COMMENT})

    api = FakeAPI().on("POST", f"/{COMMENT}", {"success": True})
    assert apply_moderation(message_id=comment.pk, now=timezone.now(), http=api.http()) == "done"
    assert api.bodies("POST", f"/{COMMENT}") == [{"is_hidden": True}]
    assert api.requests[0].headers["Authorization"] == "Bearer EAAG-page-token"
    record = CommentModeration.objects.get()
    assert (record.state, record.platform_hidden, record.attempts) == ("done", True, 1)
    assert AuditEvent.objects.filter(action="message.hidden", actor=None).count() == 1
    # The task again (a duplicate enqueue), and the same request again: no second call.
    assert apply_moderation(message_id=comment.pk, now=timezone.now(), http=api.http()) is None
    assert _hide(desk.ani, comment).json()["state"] == "done"
    assert len(api.requests) == 1
    assert AuditEvent.objects.filter(action="message.hide_requested").count() == 1


def test_showing_again_calls_the_platform_with_false(desk, comment):
    api = FakeAPI().on("POST", f"/{COMMENT}", {"success": True})
    now = timezone.now()
    hide_comment(message_id=comment.pk, actor=desk.sari.user, hidden=True, now=now)
    apply_moderation(message_id=comment.pk, now=now, http=api.http())
    assert _hide(desk.sari, comment, hidden=False).status_code == 202
    assert apply_moderation(message_id=comment.pk, now=now, http=api.http()) == "done"
    assert api.bodies("POST", f"/{COMMENT}") == [{"is_hidden": True}, {"is_hidden": False}]
    assert CommentModeration.objects.get().platform_hidden is False
    assert list(AuditEvent.objects.filter(action__contains="hid").order_by("id").values_list(
        "action", flat=True)) == ["message.hide_requested", "message.hidden",
                                  "message.unhide_requested", "message.unhidden"]


def test_auditor_gets_403_and_nothing_happens(desk, comment):
    before = _state()
    response = _hide(desk.audi, comment)
    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    assert _state() == before


def test_outsider_gets_404_and_nothing_happens(desk, comment):
    before = _state()
    response = _hide(desk.luar, comment)
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    assert _state() == before
    assert _hide(desk.luar, comment).json() == desk.luar.post(
        "/api/v1/messages/999999/hide", {"hidden": True}).json()


def test_only_comments_can_be_hidden(desk):
    web = desk.inbound().message
    response = _hide(desk.ani, web)
    assert (response.status_code, response.json()["message"]) == (
        422, "Hanya komentar warga di Facebook atau Instagram yang dapat disembunyikan.")
    assert _hide(desk.ani, web, hidden="yes").status_code == 422
    assert CommentModeration.objects.count() == 0


def test_a_dm_is_not_a_comment(desk):
    now = timezone.now()
    facebook = legacy_channel(workspace=desk.bpn, platform="facebook", handle=PAGE, now=now)
    dm = ingest_inbound(channel=facebook, external_id="m_1", author_id="psid", text="halo",
                        author_name="", thread_id="dm", now=now).message
    with pytest.raises(InvalidInput):
        hide_comment(message_id=dm.pk, actor=desk.ani.user, hidden=True, now=now)


def test_platform_refusal_is_recorded_and_shown(desk, comment, settings):
    settings.CONNECTORS_MAX_ATTEMPTS = 2
    now = timezone.now()
    hide_comment(message_id=comment.pk, actor=desk.ani.user, hidden=True, now=now)
    api = FakeAPI().on("POST", f"/{COMMENT}", httpx.Response(403, json={"error": {
        "message": "(#200) Permissions error", "code": 200}}))
    assert apply_moderation(message_id=comment.pk, now=now, http=api.http()) == "failed"
    record = CommentModeration.objects.get()
    assert (record.state, record.platform_hidden, record.error) == (
        "failed", None, "platform_refused: HTTP 403 code 200: (#200) Permissions error")
    assert AuditEvent.objects.filter(action="message.hide_failed").count() == 1
    assert len(api.requests) == 1  # permanent: no retry

    desk.ani.client.force_login(desk.ani.user)
    page = desk.ani.client.get(f"/w/bpn/cases/{comment.case_id}/panel").content.decode()
    assert "Gagal menyembunyikan" in page
    assert "platform_refused: HTTP 403 code 200: (#200) Permissions error" in page
    assert f'data-hide-message="{comment.pk}" data-hidden="true"' in page
    # Asking again after a failure tries again.
    assert _hide(desk.ani, comment).json()["state"] == "pending"


def test_platform_down_is_retried_then_fails_visibly(desk, comment, settings):
    settings.CONNECTORS_MAX_ATTEMPTS = 3
    now = timezone.now()
    hide_comment(message_id=comment.pk, actor=desk.ani.user, hidden=True, now=now)
    api = FakeAPI().on("POST", f"/{COMMENT}", httpx.Response(500, json={"error": {
        "message": "boom", "code": 1}}))
    # The first attempt fails and queues the next one after a back-off; no worker waits.
    assert apply_moderation(message_id=comment.pk, now=now, http=api.http()) == "retry"
    record = CommentModeration.objects.get()
    assert (record.state, record.retry_at) == ("pending", now + timedelta(seconds=0.5))
    assert list(DBTaskResult.objects.filter(
        task_path="tanggap.connectors.tasks.moderate_comment", run_after=record.retry_at)
        .values_list("args_kwargs", flat=True)) == [{"args": [comment.pk], "kwargs": {}}]
    # Woken early (the sweep, a duplicate task): nothing to do yet.
    assert apply_moderation(message_id=comment.pk, now=now, http=api.http()) is None
    result, waits = moderate_until_done(comment.pk, now=record.retry_at, http=api.http())
    assert (result, len(api.requests), waits) == ("failed", 3, [1.0])
    assert CommentModeration.objects.get().error == "platform_unavailable: HTTP 500 code 1: boom"


def test_a_new_wish_during_the_call_goes_again(desk, comment):
    now = timezone.now()
    hide_comment(message_id=comment.pk, actor=desk.ani.user, hidden=True, now=now)

    def change_mind(request):
        # The operator clicks "show again" while the hide call is on its way.
        hide_comment(message_id=comment.pk, actor=desk.ani.user, hidden=False, now=now)
        return httpx.Response(200, json={"success": True})

    api = FakeAPI().on("POST", f"/{COMMENT}", change_mind, {"success": True})
    assert apply_moderation(message_id=comment.pk, now=now, http=api.http()) == "superseded"
    assert CommentModeration.objects.get().state == "pending"
    assert apply_moderation(message_id=comment.pk, now=now, http=api.http()) == "done"
    assert api.bodies("POST", f"/{COMMENT}") == [{"is_hidden": True}, {"is_hidden": False}]
    record = CommentModeration.objects.get()
    assert (record.hidden, record.platform_hidden, record.generation) == (False, False, 2)


def test_in_flight_record_is_left_to_its_worker_until_the_lease_ends(desk, comment):
    now = timezone.now()
    hide_comment(message_id=comment.pk, actor=desk.ani.user, hidden=True, now=now)
    CommentModeration.objects.update(state="in_flight", updated_at=now)
    api = FakeAPI().on("POST", f"/{COMMENT}", {"success": True})
    assert apply_moderation(message_id=comment.pk, now=now, http=api.http()) is None
    later = now + timedelta(hours=1)
    assert apply_moderation(message_id=comment.pk, now=later, http=api.http()) == "done"
    assert len(api.requests) == 1


def test_case_page_shows_the_button_to_writers_only(desk, comment):
    desk.ani.client.force_login(desk.ani.user)
    desk.audi.client.force_login(desk.audi.user)
    url = f"/w/bpn/cases/{comment.case_id}/"
    page = desk.ani.client.get(url).content.decode()
    assert f'data-hide-message="{comment.pk}" data-hidden="true"' in page
    assert "connectors/hide.js" in page
    assert "data-hide-message" not in desk.audi.client.get(url).content.decode()
    web_case = desk.inbound().case
    assert "data-moderation-for" not in desk.ani.client.get(
        f"/w/bpn/cases/{web_case.pk}/").content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks exist on PostgreSQL only")
def test_the_worker_locks_only_the_moderation_record(desk, comment):
    """The channel row is what every send and token refresh of the account locks; a joined
    FOR UPDATE would make each moderation attempt wait for them (and they for it)."""
    _hide(desk.ani, comment)
    api = FakeAPI().on("POST", f"/{COMMENT}", {"success": True})
    with CaptureQueriesContext(connection) as queries:
        assert apply_moderation(message_id=comment.pk, now=timezone.now(),
                                http=api.http()) == "done"
    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert [sql[sql.index("FOR UPDATE"):] for sql in locking] == [
        'FOR UPDATE OF "connectors_commentmoderation"'] * 2
