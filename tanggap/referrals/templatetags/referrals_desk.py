"""The referrals room's piece of the case page: `{% referral_panel %}` (the suggested body, the
refer form, the trail with the body's answers, ready drafts for the citizen). The inbox rows'
overdue flag comes from `queries.overdue_exists`, part of the page's own statement
(web/views.py)."""

from django import template

from tanggap.cases.models import CLOSED_STATUSES
from tanggap.referrals import queries
from tanggap.referrals.actions import CITIZEN_TEMPLATE_DEFAULT
from tanggap.referrals.suggest import suggest_body
from tanggap.referrals.tasks import liaison_url

register = template.Library()

@register.inclusion_tag("referrals/_case_panel.html", takes_context=True)
def referral_panel(context):
    case, membership, now = context["case"], context.get("membership"), context["now"]
    referrals = queries.referrals_of_case(case.pk, now=now)
    open_referral = next((r for r in referrals if r.is_open), None)
    for referral in referrals:
        referral.link = liaison_url(referral) if referral.is_open else ""
    latest = None
    for referral in referrals:
        for update in referral.updates.all():
            if update.draft or update.suggested_body_id:
                latest = update
    from_referral = queries.referral_linked_to(case.pk)
    handed_over = (queries.handed_over_conversation(case, from_referral)
                   if from_referral is not None else None)
    suggestion = None
    if open_referral is None and case.status not in CLOSED_STATUSES:
        suggestion = suggest_body(case)
    return {
        "case": case, "membership": membership, "referrals": referrals,
        "open_referral": open_referral, "suggestion": suggestion, "latest": latest,
        "bodies": queries.bodies_of(case.workspace_id),
        "can_refer": bool(membership and membership.can_write) and open_referral is None
        and case.status not in CLOSED_STATUSES,
        "template": CITIZEN_TEMPLATE_DEFAULT,
        "from_referral": from_referral,
        "handed_over": handed_over[1] if handed_over else None,
        "workspace": context.get("workspace"),
    }
