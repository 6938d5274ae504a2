"""Answering an Instagram mention through POST /{ig-user-id}/mentions: under the mentioning
comment, or as a comment on a captioned media; after an ambiguous failure, our earlier caption
reply is looked for, and a comment reply (which cannot be looked for) is not posted again."""

import httpx
import pytest
from django.utils import timezone

from tanggap.connectors.delivery import deliver_message_now
from tanggap.connectors.models import Outbound
from tanggap.connectors.testing.fakes import (
    FakeAPI,
    add_proven_channel,
    deliver_until_done,
    pending_reply,
)

IG = "17841400000000001"
MEDIA = "17918195224117851"
COMMENT = "17894227972186120"
CAPTION_MEDIA = "17920112008063024"
SERVER_ERROR = httpx.Response(500, json={"error": {"message": "An unknown error occurred",
                                                   "code": 1, "is_transient": True}})


@pytest.fixture
def channel(desk):
    return add_proven_channel(workspace=desk.bpn, platform="instagram", handle=IG, now=timezone.now(),
                       token="EAAG-page-token")


def _comment_mention_reply(desk, channel, now):
    return pending_reply(desk, channel, external_id=f"mention:{COMMENT}",
                         thread_id=f"media:{MEDIA}", author_id=f"mention:{MEDIA}",
                         platform_created_at=None, now=now)


def _caption_mention_reply(desk, channel, now):
    return pending_reply(desk, channel, external_id=f"mention:{CAPTION_MEDIA}",
                         thread_id=f"media:{CAPTION_MEDIA}", author_id=f"mention:{CAPTION_MEDIA}",
                         platform_created_at=None, now=now)


def test_a_comment_mention_is_answered_under_the_comment(desk, channel):
    now = timezone.now()
    reply = _comment_mention_reply(desk, channel, now)
    api = FakeAPI().on("POST", f"/{IG}/mentions", {"id": "17846319838228163"})
    outcome = deliver_message_now(message_id=reply.pk, now=now, http=api.http())
    assert (outcome.status, outcome.external_id, outcome.error) == ("sent", "17846319838228163", "")
    assert api.bodies("POST", f"/{IG}/mentions") == [
        {"media_id": MEDIA, "comment_id": COMMENT, "message": reply.text}]
    assert str(api.requests[0].url) == f"http://127.0.0.1:9/v26.0/{IG}/mentions"
    record = Outbound.objects.get(message=reply)
    assert (record.operation, record.target_id) == ("mention_reply", COMMENT)


def test_a_caption_mention_is_answered_with_a_comment_on_the_media(desk, channel):
    now = timezone.now()
    reply = _caption_mention_reply(desk, channel, now)
    api = FakeAPI().on("POST", f"/{IG}/mentions", {"id": "17846319838228163"})
    assert deliver_message_now(message_id=reply.pk, now=now, http=api.http()).status == "sent"
    assert api.bodies("POST", f"/{IG}/mentions") == [
        {"media_id": CAPTION_MEDIA, "message": reply.text}]


def test_after_a_lost_answer_our_caption_reply_is_found_not_posted_again(desk, channel):
    now = timezone.now()
    reply = _caption_mention_reply(desk, channel, now)
    api = FakeAPI().on("POST", f"/{IG}/mentions", SERVER_ERROR).on("GET", f"/{IG}", {
        "username": "pemkotbpn",
        "mentioned_media": {"id": CAPTION_MEDIA, "comments": {"data": [
            {"id": "17800000000000001", "text": reply.text, "username": "warga_lain"},
            {"id": "17846319838228163", "text": reply.text, "username": "pemkotbpn"}]}},
        "id": IG})
    outcome, waits = deliver_until_done(reply.pk, now=now, http=api.http())
    assert (outcome.status, outcome.external_id) == ("sent", "17846319838228163")
    assert len(api.calls("POST", f"/{IG}/mentions")) == 1
    [look] = api.calls("GET", f"/{IG}")
    assert look.url.params["fields"] == (
        f"username,mentioned_media.media_id({CAPTION_MEDIA}){{comments{{id,text,username}}}}")


def test_after_a_lost_answer_a_comment_mention_reply_is_not_posted_blind(desk, channel):
    now = timezone.now()
    reply = _comment_mention_reply(desk, channel, now)
    api = FakeAPI().on("POST", f"/{IG}/mentions", SERVER_ERROR)
    outcome, waits = deliver_until_done(reply.pk, now=now, http=api.http())
    assert len(api.requests) == 1
    # It may be there and nobody can look: "needs checking", not "failed", and never posted
    # again.
    assert (outcome.status, outcome.error) == ("unknown", (
        "cannot_check: Instagram offers no documented way to find our earlier reply to a "
        "comment that mentions the account. An attempt may have reached the platform: check "
        "there before sending again."))


def test_a_refused_mention_reply_is_not_retried(desk, channel):
    now = timezone.now()
    reply = _comment_mention_reply(desk, channel, now)
    api = FakeAPI().on("POST", f"/{IG}/mentions", httpx.Response(400, json={"error": {
        "message": "(#10) Application does not have permission for this action", "code": 10}}))
    outcome, waits = deliver_until_done(reply.pk, now=now, http=api.http())
    assert len(api.requests) == 1
    assert outcome.error == ("platform_refused: HTTP 400 code 10: (#10) Application does not "
                             "have permission for this action")


def test_a_mention_that_names_no_media_is_refused_without_a_call(desk, channel):
    now = timezone.now()
    reply = pending_reply(desk, channel, external_id="mention:", thread_id=f"media:{MEDIA}",
                          author_id=f"mention:{MEDIA}", platform_created_at=None, now=now)
    api = FakeAPI()
    outcome = deliver_message_now(message_id=reply.pk, now=now, http=api.http())
    assert (outcome.status, outcome.error, api.requests) == (
        "failed", "no_target: cannot tell which mention 'mention:' is", [])
