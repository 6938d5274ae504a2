"""After a lost answer to an Instagram Direct send, our message is looked for in the citizen's
conversation before sending again, in both setups: Facebook Login (graph.facebook.com, Page
token, platform=instagram) and Instagram Login (graph.instagram.com). The fixture has the
shape of the Conversations guides' answers, with `from` as the Message reference shows it for
Instagram (`username`, `id`). A citizen who quotes our words back is not taken for us."""

from datetime import UTC, datetime, timedelta

import httpx

from tanggap.connectors.testing.fakes import (
    FakeAPI,
    add_proven_channel,
    deliver_until_done,
    fixture,
    pending_reply,
)

IG = "17841400000000001"
IGSID = "987654321098765"
OURS = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAxOk91cnM"
NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
SERVER_ERROR = httpx.Response(500, json={"error": {"message": "An unknown error occurred",
                                                   "code": 1, "is_transient": True}})


def _direct_reply(desk, **options):
    channel = add_proven_channel(workspace=desk.bpn, platform="instagram", handle=IG, now=NOW,
                          token="IGQ-token")
    channel.options = options
    channel.save(update_fields=["options"])
    return pending_reply(desk, channel, external_id="mid.1", thread_id="dm", author_id=IGSID,
                         platform_created_at=NOW - timedelta(hours=2), now=NOW,
                         text="Balasan DM")


def test_a_lost_answer_is_found_and_not_sent_again(desk):
    reply = _direct_reply(desk)
    api = FakeAPI().on("POST", "/me/messages", httpx.ReadTimeout("lost answer")).on(
        "GET", "/me/conversations", fixture("instagram", "direct_conversation"))
    outcome, waits = deliver_until_done(reply.pk, now=NOW, http=api.http())
    assert (outcome.status, outcome.external_id, outcome.error) == ("sent", OURS, "")
    assert len(api.calls("POST", "/me/messages")) == 1
    [look] = api.calls("GET", "/me/conversations")
    assert str(look.url).startswith("http://127.0.0.1:9/v26.0/me/conversations?")
    assert dict(look.url.params) == {
        "platform": "instagram", "user_id": IGSID,
        "fields": "messages.limit(10){id,created_time,from,message}"}
    assert waits == [0.5]


def test_instagram_login_not_found_is_sent_again_once(desk, settings):
    settings.INSTAGRAM_GRAPH_BASE_URL = "http://ig.test"
    reply = _direct_reply(desk, api="instagram")
    conversation = fixture("instagram", "direct_conversation")
    # Only the citizen's message with the same words is there: ours never arrived.
    del conversation["data"][0]["messages"]["data"][0]
    api = FakeAPI().on("POST", "/me/messages", SERVER_ERROR,
                       {"recipient_id": IGSID, "message_id": "mid.sentOnRetry"}).on(
        "GET", "/me/conversations", conversation)
    outcome, waits = deliver_until_done(reply.pk, now=NOW, http=api.http())
    assert (outcome.status, outcome.external_id) == ("sent", "mid.sentOnRetry")
    assert api.bodies("POST", "/me/messages") == 2 * [
        {"recipient": {"id": IGSID}, "message": {"text": "Balasan DM"},
         "messaging_type": "RESPONSE"}]
    [look] = api.calls("GET", "/me/conversations")
    assert str(look.url).startswith("http://ig.test/v26.0/me/conversations?")
