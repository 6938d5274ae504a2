"""API tokens: create, revoke, note their use.

Only a token's SHA-256 is stored and the raw token is shown once. Revoking deletes the rows, so
the next request with that token finds nothing, in every process at once.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tanggap.errors import Conflict, InvalidInput
from tanggap.workspaces.events import record_for_user
from tanggap.workspaces.models import ApiToken, hash_token

# How stale `last_used_at` may be: a busy integration posts many times a second, and a write per
# request would cost more than the request. At most one conditional UPDATE per token per minute.
LAST_USE_GRANULARITY = timedelta(minutes=1)


def create_token(*, user, now: datetime, actor=None) -> str:
    """Return a new raw token; only its hash is stored."""
    if not user.is_active:
        raise Conflict(_("%(username)s is deactivated.") % {"username": user.username})
    raw = "tg_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, token_hash=hash_token(raw), prefix=raw[:10],
                                        created_at=now)
        record_for_user(user=user, actor=actor, action="token.created", now=now,
                        after={"prefix": token.prefix})
    return raw


def revoke_tokens(*, user, actor, now: datetime, prefix: str | None = None) -> list[str]:
    """Revoke every token of `user` (or the one starting with `prefix`); return their prefixes."""
    with transaction.atomic():
        tokens = ApiToken.objects.select_for_update().filter(user=user)
        if prefix is not None:
            prefix = prefix.strip()
            if len(prefix) < 6:
                raise InvalidInput(_("Give at least the first 6 characters of the token."))
            tokens = tokens.filter(prefix__startswith=prefix[:10])
        found = list(tokens.order_by("created_at", "pk"))
        if prefix is not None and not found:
            raise InvalidInput(_("%(username)s has no token starting with %(prefix)s.")
                               % {"username": user.username, "prefix": prefix})
        if prefix is not None and len(found) > 1:
            raise InvalidInput(_("Several tokens start with %(prefix)s; give a longer prefix.")
                               % {"prefix": prefix})
        prefixes = [token.prefix for token in found]
        if found:
            ApiToken.objects.filter(pk__in=[token.pk for token in found]).delete()
            record_for_user(user=user, actor=actor, action="token.revoked", now=now,
                            after={"prefixes": prefixes})
    return prefixes


def note_token_use(*, token: ApiToken, now: datetime) -> None:
    """Record that `token` was used, at most once per LAST_USE_GRANULARITY. Bookkeeping, not a
    state change anyone acts on, so no audit event; the condition in the UPDATE keeps two
    processes from both writing."""
    stale = getattr(token, "stale_use", None)  # known from the lookup (access.token_bearer)
    if stale is None:
        stale = token.last_used_at is None or token.last_used_at <= now - LAST_USE_GRANULARITY
    if not stale:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USE_GRANULARITY)
    ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
