"""The port through which a reply that must wait for a supervisor's approval is held instead of
sent.

`send_reply` runs every rule of "exactly one answer" and the tone guard first; then, unless the
reply is itself an approved one, it asks the registered gate whether this reply must wait. The
room that keeps approvals (tanggap.approvals, above this one) registers the gate in its
`AppConfig.ready()`; the gate decides from the workspace's policy, stores the held reply inside
`send_reply`'s transaction and returns a `Held`, and nothing is sent. Approving it later sends it
through `send_reply` again (with `approved_by`), so the same rules and the same idempotency key
hold.

Without a gate no reply is ever held. Never a Django signal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

HELD = "menunggu_persetujuan"


@dataclass(frozen=True)
class Held:
    approval_id: int
    status: str = HELD


Gate = Callable[..., Held | None]
_gate: Gate | None = None


def register_gate(gate: Gate) -> None:
    """One gate; registering the same callable again is harmless (ready() may run twice)."""
    global _gate
    if _gate is not None and _gate is not gate:
        raise ImproperlyConfigured(f"a reply gate is already registered: {_gate!r}")
    _gate = gate


def hold(**reply) -> Held | None:
    """Inside send_reply's transaction, under the case's lock: the Held reply, or None to send.
    `reply` holds case, actor, text, idempotency_key, base_version, verdict, findings, now."""
    return _gate(**reply) if _gate is not None else None
