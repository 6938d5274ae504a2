"""The templates page: every member reads the desk's canned replies grouped by topic; admins and
supervisors write them (through REST v1, so the tone guard and the field check live in one
place)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tanggap.cases import templating
from tanggap.cases.language import INTENT_LABELS, TOPIC_LABELS
from tanggap.errors import for_page
from tanggap.replytemplates.queries import grouped_by_topic
from tanggap.workspaces.access import access_workspace


@login_required
@require_GET
def templates_page(request, slug):
    membership = for_page(access_workspace, request.user, slug)
    return render(request, "replytemplates/templates.html", {
        "membership": membership, "workspace": membership.workspace,
        "groups": grouped_by_topic(membership.workspace_id, TOPIC_LABELS),
        "topics": list(TOPIC_LABELS.items()), "intents": list(INTENT_LABELS.items()),
        "fields": [(name, str(label)) for name, label in templating.known_fields().items()],
    })
