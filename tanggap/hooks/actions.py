"""Writes of the outgoing webhooks that people make: an admin registers, switches on or off, or
removes an endpoint. Each owns its transaction, takes the acting user and `now`, and writes an
audit event in the same transaction (never with the secret)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from tanggap.audit import events as audit
from tanggap.connectors.crypto import encrypt_secret
from tanggap.errors import Forbidden, InvalidInput, NotFound
from tanggap.hooks.models import EVENT_TYPES, Delivery, DeliveryState, Endpoint
from tanggap.workspaces.access import access_workspace
from tanggap.workspaces.models import Membership, Role

MAX_ENDPOINTS = 20


def access_hooks_admin(user, slug: str) -> Membership:
    """The admin membership of `slug`: 404 to outsiders, 403 to other roles."""
    membership = access_workspace(user, slug)
    if membership.role != Role.ADMIN:
        raise Forbidden()
    return membership


def _endpoint(membership: Membership, endpoint_id) -> Endpoint:
    try:
        endpoint_id = int(endpoint_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    endpoint = Endpoint.objects.filter(pk=endpoint_id, workspace_id=membership.workspace_id).first()
    if endpoint is None:
        raise NotFound()
    return endpoint


def validate_url(url: str) -> str:
    url = (url or "").strip()
    try:
        URLValidator(schemes=["https"])(url)
    except ValidationError:
        raise InvalidInput(_("The address must be a full https:// URL."), field="url") from None
    if len(url) > 500 or urlsplit(url).username or urlsplit(url).password:
        raise InvalidInput(_("The address must be at most 500 characters, without a user name "
                             "or password in it."), field="url")
    return url


def validate_events(events) -> list[str]:
    chosen = [e for e in EVENT_TYPES if e in set(events or [])]
    unknown = set(events or []) - set(EVENT_TYPES)
    if unknown or not chosen:
        raise InvalidInput(_("Choose one or more of %(choices)s.")
                           % {"choices": ", ".join(EVENT_TYPES)}, field="events")
    return chosen


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: Endpoint
    secret: str  # shown once


def add_endpoint(*, membership: Membership, actor, url: str, events, description: str = "",
                 now: datetime) -> NewEndpoint:
    url, chosen = validate_url(url), validate_events(events)
    description = (description or "").strip()[:200]
    secret = "whsec_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        if Endpoint.objects.filter(workspace_id=membership.workspace_id).count() >= MAX_ENDPOINTS:
            raise InvalidInput(_("A workspace has at most %(n)d webhooks.") % {"n": MAX_ENDPOINTS})
        endpoint = Endpoint.objects.create(
            workspace_id=membership.workspace_id, url=url, description=description, events=chosen,
            secret_encrypted=encrypt_secret(secret), secret_hint=secret[:10], created_by=actor,
            created_at=now)
        audit.record(workspace_id=membership.workspace_id, actor=actor, action="webhook.added",
                     now=now, obj=endpoint, after={"url": url, "events": chosen})
    return NewEndpoint(endpoint, secret)


def set_endpoint_active(*, membership: Membership, actor, endpoint_id, active: bool,
                        now: datetime) -> Endpoint:
    """Switch an endpoint on (what it missed while off is sent, in order, from the start) or
    off."""
    with transaction.atomic():
        endpoint = _endpoint(membership, endpoint_id)
        endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        if endpoint.active == active:
            return endpoint
        endpoint.active = active
        endpoint.failures_in_row = 0 if active else endpoint.failures_in_row
        endpoint.disabled_at = None if active else now
        endpoint.disabled_reason = "" if active else _("Switched off by %(user)s.") % {
            "user": actor.username}
        endpoint.save(update_fields=["active", "failures_in_row", "disabled_at",
                                     "disabled_reason"])
        if active:
            # A fresh start for what waited: every delivery gets its attempts again, now.
            Delivery.objects.filter(endpoint=endpoint, state=DeliveryState.PENDING).update(
                attempts=0, next_attempt_at=now)
        audit.record(workspace_id=endpoint.workspace_id, actor=actor, now=now, obj=endpoint,
                     action="webhook.enabled" if active else "webhook.switched_off",
                     after={"url": endpoint.url})
    return endpoint


def remove_endpoint(*, membership: Membership, actor, endpoint_id, now: datetime) -> None:
    with transaction.atomic():
        endpoint = _endpoint(membership, endpoint_id)
        audit.record(workspace_id=endpoint.workspace_id, actor=actor, now=now, obj=endpoint,
                     action="webhook.removed", after={"url": endpoint.url})
        endpoint.delete()
