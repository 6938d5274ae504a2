"""What the connectors keep about a citizen beyond the desk's messages: the record of each reply
sent to a platform (its text and the recipient's platform id), the raw bodies of webhooks and
the dead letters (events that could not be stored), all with names, phone numbers and words.
Registered with the privacy room's holders port.

Raw copies are kept only while they help: once processed, a delivery's body is emptied after
TANGGAP_WEBHOOK_BODY_DAYS (the row, its checksum and its outcome stay, so a redelivery is still
recognised), and so is a dead letter's event once an admin retried or discarded it that long
ago; one still waiting for an admin is kept. An erasure empties at once every processed body and
every dead letter of the workspace that names the citizen (a waiting one is discarded with it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max, Min

from tanggap.cases.models import Message
from tanggap.connectors.models import (
    FailedEventState,
    FailedWebhookEvent,
    Outbound,
    WebhookDelivery,
)
from tanggap.privacy.holders import Erased, Holder, Scope

_SCAN_CHUNK = 500
ERASED_REASON = "erased on the citizen's request (personal data)"
# Messages are stored within moments of their webhook; a day either side is generous.
_SLACK = timedelta(days=1)


def _raw_bodies_naming(scope: Scope) -> list[int]:
    """Ids of processed deliveries, from around the time of the scope's messages, whose body
    holds one of the scope's platform ids."""
    if not scope.identifiers or not scope.message_ids:
        return []
    span = Message.objects.filter(pk__in=scope.message_ids).aggregate(
        first=Min("created_at"), last=Max("created_at"))
    needles = [identifier.encode() for identifier in scope.identifiers]
    found = []
    candidates = (WebhookDelivery.objects
                  .filter(processed_at__gte=span["first"] - _SLACK,
                          processed_at__lte=span["last"] + _SLACK)
                  .exclude(body=b"").values_list("pk", "body"))
    for pk, body in candidates.iterator(chunk_size=_SCAN_CHUNK):
        body = bytes(body)
        if any(needle in body for needle in needles):
            found.append(pk)
    return found


def _dead_letters_naming(scope: Scope) -> list[int]:
    """Ids of the workspace's dead letters whose event holds one of the scope's platform ids."""
    if not scope.identifiers:
        return []
    return [pk for pk, raw in (FailedWebhookEvent.objects
                               .filter(channel__workspace_id=scope.workspace_id)
                               .exclude(raw="").values_list("pk", "raw").iterator())
            if any(identifier in raw for identifier in scope.identifiers)]


class ConnectorsData(Holder):
    name = "connectors"

    def erase(self, scope: Scope, now: datetime) -> Erased:
        records = list(Outbound.objects.filter(message_id__in=scope.message_ids)
                       .only("pk", "request", "target_id", "external_id"))
        for record in records:
            request = record.request if isinstance(record.request, dict) else {}
            # What was called stays (which API, which method); the path names the recipient and
            # the body holds the words.
            record.request = {key: request[key] for key in ("api", "method") if key in request}
            record.target_id = ""
            record.external_id = None
        Outbound.objects.bulk_update(records, ["request", "target_id", "external_id"],
                                     batch_size=200)
        bodies = _raw_bodies_naming(scope)
        WebhookDelivery.objects.filter(pk__in=bodies).update(body=b"")
        letters = _dead_letters_naming(scope)
        FailedWebhookEvent.objects.filter(pk__in=letters).update(raw="", updated_at=now)
        FailedWebhookEvent.objects.filter(pk__in=letters, state=FailedEventState.FAILED).update(
            state=FailedEventState.DISCARDED, reason=ERASED_REASON)
        return Erased(counts={"sends": len(records), "raw_webhooks": len(bodies),
                              "dead_letters": len(letters)})

    def prune(self, now: datetime) -> int:
        days = settings.TANGGAP_WEBHOOK_BODY_DAYS
        if days == 0:
            return 0
        before = now - timedelta(days=days)
        bodies = (WebhookDelivery.objects.filter(processed_at__lt=before)
                  .exclude(body=b"").update(body=b""))
        letters = (FailedWebhookEvent.objects.filter(updated_at__lt=before)
                   .exclude(state=FailedEventState.FAILED).exclude(raw="").update(raw=""))
        return bodies + letters
