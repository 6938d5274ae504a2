from datetime import UTC, datetime

import httpx
import pytest
from django.utils import timezone

from tanggap.cases.actions import ingest_inbound
from tanggap.cases.models import Message
from tanggap.connectors.models import PollCursor
from tanggap.connectors.polling import poll_x_mentions
from tanggap.connectors.testing.fakes import (
    FakeAPI,
    add_proven_channel,
    deliver_until_done,
    fixture,
    pending_reply,
)

ME = "1500000000000000000"
RATE = {"x-rate-limit-limit": "300", "x-rate-limit-remaining": "299",
        "x-rate-limit-reset": "1764301500"}


def _channel(desk, now):
    return add_proven_channel(workspace=desk.bpn, platform="x", handle="PemkotBPNreal", now=now,
                       token="x-user-token")


def _api(*mention_pages):
    answers = [httpx.Response(200, json=page, headers=RATE) for page in mention_pages]
    return FakeAPI().on("GET", "/2/users/me", {"data": {"id": ME, "username": "PemkotBPNreal"}}).on(
        "GET", f"/2/users/{ME}/mentions", *answers)


def test_poll_stores_mentions_moves_the_cursor_and_keeps_the_budget(desk):
    now = timezone.now()
    channel = _channel(desk, now)
    api = _api(fixture("x", "mentions_page"), {"meta": {"result_count": 0}})
    result = poll_x_mentions(channel_id=channel.pk, now=now, http=api.http())
    assert (result.status, result.stored, result.read, result.since_id) == (
        "ok", 2, 2, "1862000000000000003")
    texts = list(Message.objects.filter(channel=channel).order_by("id").values_list(
        "external_id", "author_name", "case__thread_id"))
    assert texts == [
        ("1862000000000000001", "Warga Rapak (@wargarapak)", "conv:1861999999999999999"),
        ("1862000000000000003", "Dimas (@dimas_bpn)", "conv:1862000000000000003")]
    cursor = PollCursor.objects.get(channel=channel)
    assert (cursor.rate_limit, cursor.rate_remaining, cursor.rate_reset_at, cursor.calls_made,
            cursor.posts_read) == (300, 299, datetime.fromtimestamp(1764301500, tz=UTC), 1, 2)

    poll_x_mentions(channel_id=channel.pk, now=now, http=api.http())
    second = api.calls("GET", f"/2/users/{ME}/mentions")[-1]
    assert second.url.params["since_id"] == "1862000000000000003"
    # The account id was proven when the channel was connected: polls never ask for it.
    assert api.calls("GET", "/2/users/me") == []


def test_exhausted_budget_skips_without_calling(desk):
    now = timezone.now()
    channel = _channel(desk, now)
    PollCursor.objects.create(channel=channel, rate_remaining=0,
                              rate_reset_at=now + timezone.timedelta(minutes=5))
    api = _api({})
    assert poll_x_mentions(channel_id=channel.pk, now=now, http=api.http()).status == "rate_limited"
    assert api.requests == []


def test_429_records_the_reset_and_moves_nothing(desk):
    now = timezone.now()
    channel = _channel(desk, now)
    api = FakeAPI().on("GET", "/2/users/me", {"data": {"id": ME}}).on(
        "GET", f"/2/users/{ME}/mentions", httpx.Response(
            429, json={"title": "Too Many Requests", "detail": "Too Many Requests"},
            headers={**RATE, "x-rate-limit-remaining": "0"}))
    result = poll_x_mentions(channel_id=channel.pk, now=now, http=api.http())
    cursor = PollCursor.objects.get(channel=channel)
    assert (result.status, cursor.since_id, cursor.rate_remaining) == ("rate_limited", "", 0)


def test_crash_mid_batch_loses_nothing_and_doubles_nothing(desk):
    now = timezone.now()
    channel = _channel(desk, now)
    calls = []

    def crashing_store(**kwargs):
        calls.append(kwargs["external_id"])
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return ingest_inbound(**kwargs)

    api = _api(fixture("x", "mentions_page"))
    with pytest.raises(RuntimeError):
        poll_x_mentions(channel_id=channel.pk, now=now, http=api.http(), store=crashing_store)
    assert Message.objects.filter(channel=channel).count() == 0
    assert PollCursor.objects.get(channel=channel).since_id == ""

    for _ in range(2):  # the retry, and a redelivery of the same page
        poll_x_mentions(channel_id=channel.pk, now=now, http=api.http())
    assert Message.objects.filter(channel=channel).count() == 2


def test_reply_goes_in_reply_to_the_mention_and_is_found_after_a_timeout(desk):
    now = timezone.now()
    channel = _channel(desk, now)
    message = pending_reply(desk, channel, external_id="1862000000000000003",
                            thread_id="conv:1862000000000000003", author_id="2244994945",
                            platform_created_at=now, now=now)
    api = FakeAPI().on("GET", "/2/users/me", {"data": {"id": ME}}).on(
        "POST", "/2/tweets", httpx.ReadTimeout("lost")).on(
        "GET", f"/2/users/{ME}/tweets", {"data": [
            {"id": "1862000000000000099", "text": message.text,
             "referenced_tweets": [{"type": "replied_to", "id": "1862000000000000003"}]}]})
    outcome, waits = deliver_until_done(message.pk, now=now, http=api.http())
    assert (outcome.status, outcome.external_id) == ("sent", "1862000000000000099")
    assert api.bodies("POST", "/2/tweets") == [
        {"text": message.text, "reply": {"in_reply_to_tweet_id": "1862000000000000003"}}]
