"""The port through which the desk says "this case is waiting for someone": a new case, or one
the citizen re-opened by writing again (or a member moved back to new) with nobody holding it.

The room that offers cases to operators (roster, fair assignment) sits above this one, so it
registers its handler in its `AppConfig.ready()`; the actions call `case_waiting_on_commit`
inside their transaction and the handlers run after commit with the case id. A handler must be
safe to call twice and may lose the call (its own periodic check finds waiting cases too).
Without a handler nothing happens: offering cases is optional.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

Handler = Callable[[int], None]

_handlers: list[Handler] = []


def register_arrival_handler(handler: Handler) -> None:
    """Called from an AppConfig.ready(); the same callable twice is registered once."""
    if handler not in _handlers:
        _handlers.append(handler)


def case_waiting_on_commit(case_id: int) -> None:
    for handler in list(_handlers):
        transaction.on_commit(lambda handler=handler: handler(case_id))
