"""The port through which the desk says "this case is waiting for someone": a new case, or one
the citizen re-opened by writing again (or a member moved back to new) with nobody holding it.

The room that offers cases to operators (roster, fair assignment) sits above this one, so it
registers its handler in its `AppConfig.ready()`; the actions call `case_waiting` inside their
transaction, and each handler is called there, with the case id. A handler only schedules: a
row written in that same transaction (a task of the database task backend) or a
`transaction.on_commit` callback, so nothing happens unless the case's change commits.

Why inside the transaction: a handler that queued its task after commit wrote a second write
transaction (and, on SQLite at synchronous=full, a second fsync) for every citizen message;
written with the case, the task costs one INSERT in the commit the message pays for anyway, and
is never lost between the two. A handler must be safe to call twice (its own periodic check
finds waiting cases too). Without a handler nothing happens: offering cases is optional.
"""

from __future__ import annotations

from collections.abc import Callable

Handler = Callable[[int], None]

_handlers: list[Handler] = []


def register_arrival_handler(handler: Handler) -> None:
    """Called from an AppConfig.ready(); the same callable twice is registered once."""
    if handler not in _handlers:
        _handlers.append(handler)


def case_waiting(case_id: int) -> None:
    """Inside the transaction that made the case wait."""
    for handler in list(_handlers):
        handler(case_id)
