"""Delivering one notification: a push to each of the member's browsers, then, if none took it,
an e-mail (Django's mail framework) when they have an address and keep the fallback on.

Safe to run twice: the notification row is taken with a conditional UPDATE from `pending`, so a
second run finds nothing to do. A subscription the push service calls gone (404, 410) is
deleted at once; one that fails MAX_PUSH_FAILURES times in a row is deleted too, so no dead
subscription is pushed to for ever. Both are audited (`alerts.subscription_dropped`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F

from tanggap.alerts import push
from tanggap.alerts.models import (
    AlertPreference,
    Notification,
    NotificationState,
    PushSubscription,
)
from tanggap.audit import events

logger = logging.getLogger(__name__)

MAX_PUSH_FAILURES = 5
GONE = (404, 410)


def deliver(*, notification_id: int, now: datetime, http=None) -> str | None:
    taken = Notification.objects.filter(pk=notification_id, state=NotificationState.PENDING) \
        .update(state=NotificationState.UNDELIVERED, sent_at=now)
    if not taken:
        return None
    notification = Notification.objects.select_related("workspace").get(pk=notification_id)
    payload = {"title": notification.title, "body": notification.body, "url": notification.url,
               "tag": f"{notification.kind}-{notification.pk}"}
    pushed = 0
    problems = []
    for subscription in PushSubscription.objects.filter(user_id=notification.user_id):
        try:
            prepared = push.prepare(endpoint=subscription.endpoint, p256dh=subscription.p256dh,
                                    auth=subscription.auth, payload=payload, now=now)
            push.send(prepared, http=http)
        except Exception as exc:  # a TransportError, or keys a browser sent that cannot encrypt
            status = getattr(exc, "status", None)
            problems.append(f"push {subscription.pk}: {exc}")
            _note_failure(subscription, notification, status=status, error=str(exc), now=now)
            continue
        pushed += 1
        PushSubscription.objects.filter(pk=subscription.pk).update(last_success_at=now,
                                                                   failures=0)
    state, detail = NotificationState.UNDELIVERED, "; ".join(problems)[:300]
    if pushed:
        state = NotificationState.PUSHED
    elif _mail(notification):
        state = NotificationState.EMAILED
    Notification.objects.filter(pk=notification.pk).update(state=state, detail=detail)
    return state


def _note_failure(subscription: PushSubscription, notification: Notification, *, status,
                  error: str, now: datetime) -> None:
    with transaction.atomic():
        PushSubscription.objects.filter(pk=subscription.pk).update(failures=F("failures") + 1)
        failures = PushSubscription.objects.filter(pk=subscription.pk).values_list(
            "failures", flat=True).first()
        if status in GONE or (failures or 0) >= MAX_PUSH_FAILURES:
            PushSubscription.objects.filter(pk=subscription.pk).delete()
            events.record(workspace_id=notification.workspace_id, actor=None,
                          action="alerts.subscription_dropped", now=now, obj=subscription,
                          after={"user": notification.user_id, "status": status,
                                 "failures": failures, "error": error[:200]})


def _mail(notification: Notification) -> bool:
    preference = AlertPreference.objects.filter(user_id=notification.user_id).first()
    if preference is not None and not preference.email_fallback:
        return False
    user = get_user_model().objects.filter(pk=notification.user_id).first()
    if user is None or not user.email:
        return False
    try:
        send_mail(f"[Tanggap] {notification.title}",
                  f"{notification.body}\n\n{settings.TANGGAP_PUBLIC_URL}{notification.url}",
                  None, [user.email])
    except Exception:
        logger.exception("alert %s could not be e-mailed", notification.pk)
        return False
    return True
