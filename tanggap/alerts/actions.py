"""A member's own alert settings: the browsers that receive pushes, quiet hours, the e-mail
fallback. Each write owns its transaction and is audited in every workspace of the member (the
audit trail is per workspace; a subscription is the member's, whatever the workspace)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, time

from django.db import transaction
from django.utils.translation import gettext as _

from tanggap.alerts import push
from tanggap.alerts.models import AlertPreference, PushSubscription
from tanggap.audit import events
from tanggap.errors import InvalidInput, NotFound
from tanggap.workspaces.access import workspace_ids_of


def _key(value, field: str, size: int) -> str:
    """A base64url key of `size` bytes (p256dh: 65, an uncompressed P-256 point; auth: 16)."""
    if not isinstance(value, str) or len(value) > 200:
        raise InvalidInput(_("'%(field)s' must be a base64url string.") % {"field": field},
                           field=field)
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size or (size == 65 and raw[0] != 4):
        raise InvalidInput(_("'%(field)s' is not a key a browser would send.") % {"field": field},
                           field=field)
    return value


def _audit_everywhere(user, action: str, now: datetime, obj, **facts) -> None:
    for workspace_id in workspace_ids_of(user):
        events.record(workspace_id=workspace_id, actor=user, action=action, now=now, obj=obj,
                      **facts)


def subscribe(*, user, endpoint, p256dh, auth, user_agent: str = "",
              now: datetime) -> PushSubscription:
    """Remember a browser's push subscription (the same endpoint again updates its keys)."""
    endpoint = push.check_endpoint(endpoint)
    p256dh, auth = _key(p256dh, "keys.p256dh", 65), _key(auth, "keys.auth", 16)
    user_agent = user_agent[:300] if isinstance(user_agent, str) else ""
    with transaction.atomic():
        subscription = PushSubscription.objects.select_for_update().filter(
            endpoint=endpoint).first()
        if subscription is None:
            subscription = PushSubscription.objects.create(
                user=user, endpoint=endpoint, p256dh=p256dh, auth=auth, user_agent=user_agent,
                created_at=now)
        else:
            # A browser's endpoint is its own: whoever logs in on it now receives its pushes.
            subscription.user, subscription.p256dh, subscription.auth = user, p256dh, auth
            subscription.user_agent, subscription.failures = user_agent, 0
            subscription.save(update_fields=["user", "p256dh", "auth", "user_agent", "failures"])
        _audit_everywhere(user, "alerts.subscribed", now, subscription,
                          after={"user_agent": user_agent})
    return subscription


def unsubscribe(*, user, endpoint, now: datetime) -> None:
    if not isinstance(endpoint, str):
        raise InvalidInput(_("'endpoint' must be a URL."), field="endpoint")
    with transaction.atomic():
        subscription = PushSubscription.objects.filter(endpoint=endpoint, user=user).first()
        if subscription is None:
            raise NotFound(_("This browser is not subscribed."))
        _audit_everywhere(user, "alerts.unsubscribed", now, subscription)
        subscription.delete()


def _clock(value, field: str) -> time | None:
    if value in (None, ""):
        return None
    try:
        parsed = time.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.second or parsed.tzinfo is not None:
        raise InvalidInput(_("%(field)s: write the time as HH:MM.") % {"field": field},
                           field=field)
    return parsed


def set_preferences(*, user, quiet_start, quiet_end, email_fallback, now: datetime
                    ) -> AlertPreference:
    start, end = _clock(quiet_start, "quiet_start"), _clock(quiet_end, "quiet_end")
    if (start is None) != (end is None) or (start is not None and start == end):
        raise InvalidInput(_("Quiet hours need a start and a different end, or neither."),
                           field="quiet_end")
    if not isinstance(email_fallback, bool):
        raise InvalidInput(_("'email_fallback' must be true or false."), field="email_fallback")
    with transaction.atomic():
        preference, _created = AlertPreference.objects.select_for_update().get_or_create(
            user=user, defaults={"updated_at": now})
        before = {"quiet_start": _hm(preference.quiet_start),
                  "quiet_end": _hm(preference.quiet_end),
                  "email_fallback": preference.email_fallback}
        preference.quiet_start, preference.quiet_end = start, end
        preference.email_fallback, preference.updated_at = email_fallback, now
        preference.save()
        _audit_everywhere(user, "alerts.preferences_changed", now, preference, before=before,
                          after={"quiet_start": _hm(start), "quiet_end": _hm(end),
                                 "email_fallback": email_fallback})
    return preference


def _hm(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def preferences_of(user) -> AlertPreference:
    return AlertPreference.objects.filter(user=user).first() or AlertPreference(user=user)
