from datetime import UTC, datetime, timedelta
from io import StringIO

import httpx
import pytest
from django.core.management import call_command

from tanggap.cases.actions import ingest_inbound
from tanggap.cases.models import Message
from tanggap.connectors.actions.channels import replace_channel_token
from tanggap.connectors.models import Outbound, PollCursor
from tanggap.connectors.polling import poll_x_account, poll_x_dms
from tanggap.connectors.testing.fakes import (
    FakeAPI,
    add_proven_channel,
    deliver_until_done,
    fixture,
    pending_reply,
)
from tanggap.workspaces.actions.members import add_member

ME = "1500000000000000000"
NOW = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
DM_RATE = {"x-rate-limit-limit": "15", "x-rate-limit-remaining": "14",
           "x-rate-limit-reset": "1764306000"}
# The body X answers when the app's access does not cover an endpoint ([S-CODE]; the exact
# wording varies, the status and `reason` are what we rely on).
NOT_ENROLLED = {"client_id": "123", "title": "Client Forbidden", "reason": "client-not-enrolled",
                "detail": "When authenticating requests to the Twitter API v2 endpoints, you must "
                          "use keys and tokens from a Twitter developer App that is attached to a "
                          "Project.",
                "type": "https://api.twitter.com/2/problems/client-forbidden",
                "required_enrollment": "Appropriate Level of API Access"}


def _channel(desk):
    return add_proven_channel(workspace=desk.bpn, platform="x", handle="PemkotBPNreal", now=NOW,
                       token="x-user-token")


def _api(*dm_pages):
    answers = [p if isinstance(p, httpx.Response) else httpx.Response(200, json=p, headers=DM_RATE)
               for p in dm_pages]
    return FakeAPI().on("GET", "/2/users/me", {"data": {"id": ME}}).on(
        "GET", "/2/dm_events", *answers)


def test_dms_become_one_case_per_conversation_and_skip_our_own(desk):
    channel = _channel(desk)
    api = _api(fixture("x", "dm_events_page"))
    result = poll_x_dms(channel_id=channel.pk, now=NOW, http=api.http())
    assert (result.status, result.stored, result.read, result.since_id) == (
        "ok", 2, 4, "1862100000000000007")
    rows = list(Message.objects.filter(channel=channel).order_by("id").values_list(
        "external_id", "author_name", "text", "case__thread_id"))
    assert rows == [
        ("dm:1862100000000000001", "Dimas (@dimas_bpn)",
         "Izin lapor, jalan berlubang di Jl. Sudirman dekat halte.",
         "dm:1500000000000000000-2244994945"),
        ("dm:1862100000000000005", "Warga Rapak (@wargarapak)",
         "Selamat siang, saluran air di depan rumah saya tersumbat sejak kemarin.",
         "dm:783214-1500000000000000000")]
    [call] = api.calls("GET", "/2/dm_events")
    assert (call.url.params["event_types"], call.url.params["dm_event.fields"]) == (
        "MessageCreate", "id,event_type,text,sender_id,dm_conversation_id,created_at,attachments")
    cursor = PollCursor.objects.get(channel=channel)
    assert (cursor.dm_newest_id, cursor.dm_rate_remaining, cursor.dm_rate_limit,
            cursor.dm_events_read, cursor.calls_made, cursor.dm_error) == (
        "1862100000000000007", 14, 15, 4, 1, "")


def test_next_poll_walks_pages_only_until_the_stored_cursor(desk):
    channel = _channel(desk)
    PollCursor.objects.create(channel=channel, dm_newest_id="1862100000000000003")
    newer = {"data": [{"id": "1862100000000000009", "event_type": "MessageCreate",
                       "text": "Sudah seminggu belum ada tindakan", "sender_id": "783214",
                       "dm_conversation_id": "783214-1500000000000000000",
                       "created_at": "2026-11-28T04:30:00.000Z"}],
             "meta": {"result_count": 1, "next_token": "page2"}}
    older = {**fixture("x", "dm_events_page"), "meta": {"result_count": 4, "next_token": "page3"}}
    api = _api(newer, older)
    result = poll_x_dms(channel_id=channel.pk, now=NOW, http=api.http())
    # Page 2 reaches the cursor: no third call; only events newer than it are stored.
    assert [c.url.params.get("pagination_token") for c in api.calls("GET", "/2/dm_events")] == [
        None, "page2"]
    assert (result.stored, result.since_id) == (2, "1862100000000000009")
    assert sorted(Message.objects.filter(channel=channel).values_list("external_id", flat=True)) \
        == ["dm:1862100000000000005", "dm:1862100000000000009"]


def test_crash_mid_batch_loses_nothing_and_doubles_nothing(desk):
    channel = _channel(desk)
    calls = []

    def crashing_store(**kwargs):
        calls.append(kwargs["external_id"])
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return ingest_inbound(**kwargs)

    api = _api(fixture("x", "dm_events_page"))
    with pytest.raises(RuntimeError):
        poll_x_dms(channel_id=channel.pk, now=NOW, http=api.http(), store=crashing_store)
    assert Message.objects.filter(channel=channel).count() == 0
    assert PollCursor.objects.get(channel=channel).dm_newest_id == ""

    poll_x_dms(channel_id=channel.pk, now=NOW, http=api.http())
    # The same page again (X answers it again when nothing newer came): stored once.
    PollCursor.objects.filter(channel=channel).update(dm_newest_id="")
    poll_x_dms(channel_id=channel.pk, now=NOW, http=api.http())
    assert Message.objects.filter(channel=channel).count() == 2


def test_a_refusal_is_recorded_shown_and_not_asked_again(desk, settings, time_machine):
    settings.X_DM_RECHECK_HOURS = 24
    channel = _channel(desk)
    api = _api(httpx.Response(403, json=NOT_ENROLLED))
    result = poll_x_dms(channel_id=channel.pk, now=NOW, http=api.http())
    assert result.status == "refused"
    cursor = PollCursor.objects.get(channel=channel)
    assert cursor.dm_refused_at == NOW
    assert cursor.dm_error == (
        "dm_not_allowed: X refused Direct Messages for this account (HTTP 403 code "
        "https://api.twitter.com/2/problems/client-forbidden: When authenticating requests to "
        "the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App "
        "that is attached to a Project.); check the access tier and the token's dm.read/dm.write "
        "scopes, then replace the token")

    # Polls within the recheck period make no call.
    later = poll_x_dms(channel_id=channel.pk, now=NOW + timedelta(hours=23), http=api.http())
    assert (later.status, len(api.calls("GET", "/2/dm_events"))) == ("refused", 1)
    # `poll_x --status` reads the clock (once, at the edge): it is set, never today's date.
    time_machine.move_to(NOW + timedelta(hours=23), tick=False)
    assert f"x PemkotBPNreal dms: REFUSED since {NOW.isoformat()}" in _status()
    time_machine.move_to(NOW + timedelta(hours=24), tick=False)
    assert "x PemkotBPNreal dms: newest_id=- " in _status()  # the next poll asks again

    # A new token (maybe with dm.read, or on a tier with DMs) asks again at once.
    adi = add_member(workspace=desk.bpn, username="adi", role="admin", password="kata-sandi-uji",
                     now=NOW).user
    replace_channel_token(channel_id=channel.pk, actor=adi, token="new", now=NOW,
                          http=api.http())  # X confirms the new token is the same account's
    poll_x_dms(channel_id=channel.pk, now=NOW + timedelta(hours=1), http=api.http())
    assert len(api.calls("GET", "/2/dm_events")) == 2


def _status() -> str:
    out = StringIO()
    call_command("poll_x", "--status", stdout=out)
    return out.getvalue()


def test_poll_x_account_polls_mentions_then_dms(desk):
    channel = _channel(desk)
    api = _api(fixture("x", "dm_events_page")).on(
        "GET", f"/2/users/{ME}/mentions", {"meta": {"result_count": 0}})
    results = poll_x_account(channel_id=channel.pk, now=NOW, http=api.http())
    assert {k: (r.status, r.stored) for k, r in results.items()} == {
        "mentions": ("ok", 0), "dms": ("ok", 2)}


def _dm_reply(desk, channel):
    return pending_reply(desk, channel, external_id="dm:1862100000000000005",
                         thread_id="dm:783214-1500000000000000000", author_id="783214",
                         platform_created_at=NOW, now=NOW)


def test_reply_to_a_dm_case_goes_into_the_conversation(desk):
    channel = _channel(desk)
    message = _dm_reply(desk, channel)
    api = FakeAPI().on("POST", "/2/dm_conversations/783214-1500000000000000000/messages", {
        "data": {"dm_conversation_id": "783214-1500000000000000000",
                 "dm_event_id": "1862100000000000011"}})
    outcome, waits = deliver_until_done(message.pk, now=NOW, http=api.http())
    assert (outcome.status, outcome.external_id) == ("sent", "1862100000000000011")
    assert api.bodies("POST", "/messages") == [{"text": message.text}]
    assert Outbound.objects.get(message=message).operation == "direct"


def test_dm_after_a_lost_answer_is_found_in_the_conversation_not_sent_twice(desk):
    channel = _channel(desk)
    message = _dm_reply(desk, channel)
    conv = "783214-1500000000000000000"
    api = FakeAPI().on("GET", "/2/users/me", {"data": {"id": ME}}).on(
        "POST", f"/2/dm_conversations/{conv}/messages", httpx.ReadTimeout("lost")).on(
        "GET", f"/2/dm_conversations/{conv}/dm_events", {"data": [
            # The same words sent by hand a week ago do not count as this send.
            {"id": "1862100000000000012", "event_type": "MessageCreate", "text": message.text,
             "sender_id": ME, "dm_conversation_id": conv,
             "created_at": "2026-11-28T05:00:02.000Z"},
            {"id": "1859000000000000001", "event_type": "MessageCreate", "text": message.text,
             "sender_id": ME, "dm_conversation_id": conv,
             "created_at": "2026-11-21T05:00:00.000Z"}]})
    outcome, waits = deliver_until_done(message.pk, now=NOW, http=api.http())
    assert (outcome.status, outcome.external_id) == ("sent", "1862100000000000012")
    assert len(api.calls("POST", "/messages")) == 1


def test_an_old_dm_with_the_same_words_is_not_taken_for_ours(desk):
    channel = _channel(desk)
    message = _dm_reply(desk, channel)
    conv = "783214-1500000000000000000"
    api = FakeAPI().on("GET", "/2/users/me", {"data": {"id": ME}}).on(
        "POST", f"/2/dm_conversations/{conv}/messages", httpx.ReadTimeout("lost"), {
            "data": {"dm_conversation_id": conv, "dm_event_id": "1862100000000000013"}}).on(
        "GET", f"/2/dm_conversations/{conv}/dm_events", {"data": [
            {"id": "1859000000000000001", "event_type": "MessageCreate", "text": message.text,
             "sender_id": ME, "dm_conversation_id": conv,
             "created_at": "2026-11-21T05:00:00.000Z"}]})
    outcome, waits = deliver_until_done(message.pk, now=NOW, http=api.http())
    assert (outcome.status, outcome.external_id) == ("sent", "1862100000000000013")
    assert len(api.calls("POST", "/messages")) == 2


def test_a_refused_dm_send_fails_visibly_without_retrying(desk):
    channel = _channel(desk)
    message = _dm_reply(desk, channel)
    api = FakeAPI().on("POST", "/messages", httpx.Response(403, json={
        "detail": "You are not permitted to send Direct Messages to this user.",
        "type": "about:blank", "title": "Forbidden", "status": 403}))
    outcome, waits = deliver_until_done(message.pk, now=NOW, http=api.http())
    assert (outcome.status, outcome.error) == (
        "failed", "platform_refused: HTTP 403 code about:blank: You are not permitted to send "
                  "Direct Messages to this user.")
    assert len(api.calls("POST", "/messages")) == 1
