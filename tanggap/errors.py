"""The error contract shared by actions, the API and the web views.

An action raises a DeskError; the API turns it into {"error": code, "message": text} with its
HTTP status, and the web pages show the message. Messages are translated lazily so the reader's
language decides.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class DeskError(Exception):
    status = 400
    code = "bad_request"
    default_message = _("The request could not be processed.")

    def __init__(self, message: Any = None, **extra: Any) -> None:
        self.message = message if message is not None else self.default_message
        self.extra = extra
        super().__init__(str(self.message))


class InvalidInput(DeskError):
    status = 422
    code = "invalid"
    default_message = _("The input is not valid.")


class NotFound(DeskError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class Forbidden(DeskError):
    status = 403
    code = "forbidden"
    default_message = _("You are not allowed to do this.")


class Conflict(DeskError):
    status = 409
    code = "conflict"


class CaseClaimed(Conflict):
    code = "claimed"
    default_message = _("This case is being handled by someone else.")


class NotHolder(Conflict):
    code = "not_holder"
    default_message = _("Claim this case before you reply.")


class StaleVersion(Conflict):
    code = "stale_version"
    default_message = _("The case changed since you opened it. Read the changes, then send again.")


class HandedOver(Conflict):
    """The conversation is handed over to a linked body's desk: it speaks to the citizen now;
    `speaking_desk` names it."""

    code = "handed_over"
    default_message = _("Another desk speaks to the citizen on this case now.")


class NotHandedOver(Conflict):
    code = "not_handed_over"
    default_message = _("The conversation is not handed over to your desk.")


class AlreadyAnswered(Conflict):
    code = "already_answered"
    default_message = _(
        "This case has already been answered. Send anyway only if a second answer is needed."
    )


class CaseClosed(Conflict):
    code = "case_closed"
    default_message = _("This case is closed.")


class NeedsApproval(Conflict):
    """A reply that would wait for a supervisor's approval inside a step that must send it at
    once (a referral's reply to the citizen, a closing reply): the step is refused whole."""

    code = "approval_needed"
    default_message = _("This reply waits for a supervisor's approval, so nothing was done. Send "
                        "it from the composer first.")


class MalformedBody(DeskError):
    status = 400
    code = "malformed_json"
    default_message = _("The body is not a valid JSON object.")


class BodyTooLarge(DeskError):
    status = 413
    code = "too_large"
    default_message = _("The request body is too large.")


class ToneBlocked(DeskError):
    status = 422
    code = "tone_blocked"
    default_message = _("This reply cannot be sent: fix the highlighted words first.")


class ToneNeedsConfirmation(DeskError):
    status = 422
    code = "tone_warning"
    default_message = _(
        "This reply may sound impolite. Check the highlighted words, then confirm to send it."
    )


def for_page(fn, *args, **kwargs):
    """Call an accessor for a server-rendered page: NotFound becomes Django's 404 page and
    Forbidden its 403 page (the API turns them into JSON instead)."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    try:
        return fn(*args, **kwargs)
    except NotFound:
        raise Http404() from None
    except Forbidden:
        raise PermissionDenied() from None
