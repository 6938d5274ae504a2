"""The port through which the desk hands a reply to whoever delivers it.

A reply is stored by `send_reply` as an outbound message whose delivery status is `pending`:
that row is the outbox. The room that talks to platforms (connectors) sits above this one and
may not be imported from here, so it registers its deliverer in its `AppConfig.ready()`, and
`send_reply` wakes it after commit with the message id. The deliverer must be safe to call twice
and may lose the call: what stays pending is the outbox, which the deliverer's own sweep drains.

Never a Django signal: the registration is explicit, one deliverer, checked at start-up
(`tanggap check` fails without one, system check cases.E001).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

Deliverer = Callable[[int], None]

_deliverer: Deliverer | None = None


def register_deliverer(deliverer: Deliverer) -> None:
    """Called once from an AppConfig.ready(); registering the same callable again is harmless
    (ready() may run twice in tests), a second, different deliverer is a configuration error:
    one reply, one delivery."""
    global _deliverer
    if _deliverer is not None and _deliverer is not deliverer:
        raise ImproperlyConfigured(f"a reply deliverer is already registered: {_deliverer!r}")
    _deliverer = deliverer


def deliver_on_commit(message_id: int) -> None:
    """Inside the caller's transaction: wake the deliverer for `message_id` once it commits.

    Without a deliverer this raises, so the caller's transaction rolls back rather than storing
    a reply nobody would ever send."""
    deliverer = _deliverer
    if deliverer is None:
        raise ImproperlyConfigured("no reply deliverer is registered (cases.outbox)")
    transaction.on_commit(lambda: deliverer(message_id))


def check_deliverer(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check (registered in CasesConfig.ready())."""
    if _deliverer is not None:
        return []
    return [checks.Error("No reply deliverer is registered: replies would never leave.",
                         hint="Install the connectors app; it registers one in its "
                              "AppConfig.ready() (tanggap.cases.outbox).",
                         id="cases.E001")]
