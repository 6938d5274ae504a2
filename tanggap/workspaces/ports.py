"""The ports through which this room gets work done in the rooms above it, without importing
them (and without Django signals). Each upper room registers its handler in its
`AppConfig.ready()`; `tanggap check` fails when one is missing (workspaces.E001, E002).

- The claim releaser (cases): when a member is removed or a user deactivated, the cases they
  hold in that workspace are released, inside the caller's transaction, audited as done by the
  caller's actor. Without it the remove/deactivate actions refuse to run rather than leave cases
  held by someone who can no longer answer them.
- The session watcher (live): after a user's logins ended or their membership went away, their
  open websockets re-check their session and close. Called after commit; losing the call is
  harmless (each socket re-checks on its own within a bounded time).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

# (holder_id, workspace_id, actor, now) -> number of cases released
ClaimReleaser = Callable[..., int]
SessionWatcher = Callable[[int], None]

_claim_releaser: ClaimReleaser | None = None
_session_watcher: SessionWatcher | None = None


def register_claim_releaser(releaser: ClaimReleaser) -> None:
    global _claim_releaser
    if _claim_releaser is not None and _claim_releaser is not releaser:
        raise ImproperlyConfigured(f"a claim releaser is already registered: {_claim_releaser!r}")
    _claim_releaser = releaser


def register_session_watcher(watcher: SessionWatcher) -> None:
    global _session_watcher
    if _session_watcher is not None and _session_watcher is not watcher:
        raise ImproperlyConfigured(f"a session watcher is already registered: {_session_watcher!r}")
    _session_watcher = watcher


def release_claims(*, holder_id: int, workspace_id: int, actor, now: datetime) -> int:
    """Inside the caller's transaction: release every case `holder_id` holds in the workspace."""
    if _claim_releaser is None:
        raise ImproperlyConfigured("no claim releaser is registered (workspaces.ports)")
    return _claim_releaser(holder_id=holder_id, workspace_id=workspace_id, actor=actor, now=now)


def recheck_sessions_on_commit(user_id: int) -> None:
    watcher = _session_watcher
    if watcher is not None:
        transaction.on_commit(lambda: watcher(user_id))


def check_ports(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check (registered in WorkspacesConfig.ready())."""
    errors = []
    if _claim_releaser is None:
        errors.append(checks.Error(
            "No claim releaser is registered: removed or deactivated members would keep their "
            "cases.", hint="Install the cases app (tanggap.workspaces.ports).",
            id="workspaces.E001"))
    if _session_watcher is None:
        errors.append(checks.Error(
            "No session watcher is registered: open inboxes of deactivated users would stay "
            "open.", hint="Install the live app (tanggap.workspaces.ports).",
            id="workspaces.E002"))
    return errors
