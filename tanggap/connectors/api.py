"""REST v1 endpoints of the connectors room (registered in tanggap/api/urls.py). Thin: validate,
call one action, serialise."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _

from tanggap.api.framework import api_view, json_body
from tanggap.connectors.actions import hide_comment
from tanggap.connectors.models import CommentModeration
from tanggap.errors import InvalidInput


def moderation_json(record: CommentModeration) -> dict:
    return {"message_id": record.message_id, "hidden": record.hidden,
            "platform_hidden": record.platform_hidden, "state": record.state,
            "error": record.error}


@api_view(("POST",))
def hide(request, message_id):
    body = json_body(request)
    if "hidden" not in body:
        raise InvalidInput(_("Missing field(s): %(fields)s.") % {"fields": "hidden"},
                           fields=["hidden"])
    record = hide_comment(message_id=message_id, actor=request.api_user, hidden=body["hidden"],
                          now=request.now)
    # 202: the platform is asked after commit; `state` tells how far it got.
    return JsonResponse(moderation_json(record), status=202)
