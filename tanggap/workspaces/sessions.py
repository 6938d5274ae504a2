"""Ending a user's logins: delete their rows from Django's session table.

Sessions are stored in the database (Django's default engine; settings do not offer another), and
a session row does not say whose it is without decoding it, so this reads the unexpired ones and
decodes each: a deactivation or password change is rare, and a desk has a few hundred sessions.
Open websockets are told afterwards through the session-watcher port (ports.py).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session


def end_sessions(*, user_id: int, now: datetime, keep: str | None = None) -> int:
    """Delete every unexpired session of `user_id` except the one keyed `keep`; return how many."""
    store = SessionStore()
    mine = []
    for key, data in Session.objects.filter(expire_date__gt=now).values_list(
            "session_key", "session_data").iterator():
        if key == keep:
            continue
        decoded = store.decode(data)
        if str(decoded.get(SESSION_KEY)) == str(user_id):
            mine.append(key)
    if mine:
        Session.objects.filter(session_key__in=mine).delete()
    return len(mine)
