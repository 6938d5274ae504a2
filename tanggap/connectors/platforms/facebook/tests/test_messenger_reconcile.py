"""After a lost answer to a Messenger send, our message is looked for in the citizen's
conversation (Conversations API) before sending again. The fixture has the shape of the
Conversations guide's answers: the conversation found through `user_id`, with its `messages`
field (newest first) expanded to the Message reference's `id`, `created_time`, `from`,
`message`."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest

from tanggap.cases.models import Message
from tanggap.connectors.models import Outbound
from tanggap.connectors.platforms.facebook.client import find_existing
from tanggap.connectors.testing.fakes import (
    FakeAPI,
    add_proven_channel,
    deliver_until_done,
    fixture,
    pending_reply,
)

PAGE = "104512345678901"
PSID = "6612345678901234"
NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
SERVER_ERROR = httpx.Response(500, json={"error": {"message": "An unknown error occurred",
                                                   "code": 1, "is_transient": True}})
LOOKUP_FIELDS = "messages.limit(10){id,created_time,from,message}"


@pytest.fixture
def channel(desk):
    return add_proven_channel(workspace=desk.bpn, platform="facebook", handle=PAGE, now=NOW,
                       token="EAAG-page-token")


def _dm_reply(desk, channel):
    return pending_reply(desk, channel, external_id="m_citizenQuestion0001", thread_id="dm",
                         author_id=PSID, platform_created_at=NOW - timedelta(minutes=19),
                         now=NOW)


def test_a_lost_answer_is_found_in_the_conversation_and_not_sent_again(desk, channel):
    reply = _dm_reply(desk, channel)
    api = FakeAPI().on("POST", f"/{PAGE}/messages", httpx.ReadTimeout("lost answer")).on(
        "GET", f"/{PAGE}/conversations", fixture("facebook", "messenger_conversation"))
    outcome, waits = deliver_until_done(reply.pk, now=NOW, http=api.http())
    assert (outcome.status, outcome.external_id, outcome.error) == (
        "sent", "m_ourLostAnswer0001", "")
    assert len(api.calls("POST", f"/{PAGE}/messages")) == 1
    [look] = api.calls("GET", f"/{PAGE}/conversations")
    assert dict(look.url.params) == {"platform": "messenger", "user_id": PSID,
                                     "fields": LOOKUP_FIELDS}
    assert look.headers["Authorization"] == "Bearer EAAG-page-token"
    assert waits == [0.5]
    stored = Message.objects.get(pk=reply.pk)
    assert (stored.delivery_status, stored.external_id) == ("sent", "m_ourLostAnswer0001")
    record = Outbound.objects.get(message=reply)
    assert (record.state, record.external_id) == ("sent", "m_ourLostAnswer0001")


def test_not_found_it_is_sent_again_once(desk, channel):
    reply = _dm_reply(desk, channel)
    conversation = fixture("facebook", "messenger_conversation")
    # The platform never got it: only the citizen's words and last week's identical answer
    # (older than our first attempt) are there.
    del conversation["data"][0]["messages"]["data"][0]
    api = FakeAPI().on("POST", f"/{PAGE}/messages", SERVER_ERROR,
                       {"recipient_id": PSID, "message_id": "m_sentOnRetry"}).on(
        "GET", f"/{PAGE}/conversations", conversation)
    outcome, waits = deliver_until_done(reply.pk, now=NOW, http=api.http())
    assert (outcome.status, outcome.external_id) == ("sent", "m_sentOnRetry")
    bodies = api.bodies("POST", f"/{PAGE}/messages")
    assert len(bodies) == 2
    assert bodies[0] == bodies[1]
    assert len(api.calls("GET", f"/{PAGE}/conversations")) == 1


def test_a_refused_lookup_sends_again_as_before(desk, channel):
    reply = _dm_reply(desk, channel)
    api = FakeAPI().on("POST", f"/{PAGE}/messages", httpx.ReadTimeout("lost answer"),
                       {"recipient_id": PSID, "message_id": "m_sentOnRetry"}).on(
        "GET", f"/{PAGE}/conversations", httpx.Response(403, json={"error": {
            "message": "(#200) Requires pages_read_engagement permission", "code": 200}}))
    outcome, waits = deliver_until_done(reply.pk, now=NOW, http=api.http())
    assert (outcome.status, outcome.external_id) == ("sent", "m_sentOnRetry")
    assert len(api.calls("POST", f"/{PAGE}/messages")) == 2


def test_a_failing_lookup_is_retried_never_sent_blind(desk, channel):
    reply = _dm_reply(desk, channel)
    api = FakeAPI().on("POST", f"/{PAGE}/messages", SERVER_ERROR).on(
        "GET", f"/{PAGE}/conversations", SERVER_ERROR)
    outcome, waits = deliver_until_done(reply.pk, now=NOW, http=api.http())
    assert len(api.calls("POST", f"/{PAGE}/messages")) == 1
    # Three more attempts only look (and fail), then the settle run looks once more: nobody
    # could tell, so it is "needs checking", never "failed".
    assert (len(api.calls("GET", f"/{PAGE}/conversations")), waits) == (4, [0.5, 1.0, 2.0, 30.0])
    assert (outcome.status, outcome.error) == ("unknown", (
        "delivery_unknown: looking for our earlier post: HTTP 500 code 1: An unknown error "
        "occurred; looking for it afterwards failed too (HTTP 500 code 1: An unknown error "
        "occurred). An attempt may have reached the platform: check there before sending "
        "again."))


@pytest.mark.parametrize(("not_before", "found"), [
    # our message is at 03:00:02; the clock margin is two minutes
    (datetime(2026, 11, 28, 3, 2, 2, tzinfo=UTC), "m_ourLostAnswer0001"),
    (datetime(2026, 11, 28, 3, 2, 3, tzinfo=UTC), None),
])
def test_only_messages_since_our_first_attempt_count(not_before, found):
    api = FakeAPI().on("GET", f"/{PAGE}/conversations",
                       fixture("facebook", "messenger_conversation"))
    assert find_existing(api.http(), channel=SimpleNamespace(handle=PAGE), token="t",
                         operation="messenger", target_id=PSID,
                         text="Terima kasih, sudah kami teruskan.",
                         not_before=not_before) == found
