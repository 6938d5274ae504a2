"""Logging filters named in settings.LOGGING."""

from __future__ import annotations

import copy
import logging


class RefusalsWithoutTraceback(logging.Filter):
    """A refused request (a 4xx: an operator opening an admin page, a wrong token) is the
    client's doing, not a fault: keep Django's one line about it, drop the traceback it attaches
    to PermissionDenied and BadRequest. Server errors (5xx) and everything else keep theirs.

    The handler gets a copy without the traceback; other handlers (an error tracker a deployment
    adds) still receive the record whole."""

    def filter(self, record: logging.LogRecord) -> logging.LogRecord:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500 and record.exc_info:
            record = copy.copy(record)
            record.exc_info = None
            record.exc_text = None
        return record
