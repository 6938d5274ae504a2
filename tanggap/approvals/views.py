"""The approval queue: supervisors approve (as written or edited) or reject the replies held for
them, from a desk or a phone; the decisions go through REST v1 (approvals.actions)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tanggap.approvals import queries
from tanggap.approvals.models import ApprovalStatus
from tanggap.cases.language import FINDING_MESSAGES
from tanggap.errors import for_page
from tanggap.workspaces.access import access_workspace


def _context(request, slug: str) -> dict:
    membership = for_page(access_workspace, request.user, slug)
    waiting = list(queries.queue([membership.workspace_id])[:200])
    decided = list(queries.queue([membership.workspace_id], status=None)
                   .exclude(status=ApprovalStatus.MENUNGGU)[:20])
    for approval in waiting:
        approval.finding_messages = [str(FINDING_MESSAGES.get(code, code))
                                     for code in approval.findings]
    return {"membership": membership, "workspace": membership.workspace,
            "waiting": waiting, "decided": decided}


@login_required
@require_GET
def queue_page(request, slug):
    return render(request, "approvals/queue.html", _context(request, slug))


@login_required
@require_GET
def queue_rows(request, slug):
    return render(request, "approvals/_rows.html", _context(request, slug))
