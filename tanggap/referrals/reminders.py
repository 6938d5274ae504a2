"""The time limits' job: overdue referrals remind their body once and escalate to the desk's
supervisors once; e-mails that failed are tried again. A plain function of `now`, run by
`tanggap referrals remind` (cron, or the periodic runner), safe to run twice: each referral is
claimed with a conditional UPDATE, so two runners never remind twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from tanggap.audit import events
from tanggap.cases.models import CLOSED_STATUSES
from tanggap.live.fanout import publish_on_commit
from tanggap.referrals.models import OPEN_REFERRAL_STATUSES, EmailState, Referral, ReferralStatus
from tanggap.workspaces.models import SUPERVISING_ROLES, Membership

logger = logging.getLogger(__name__)


@dataclass
class ReminderRun:
    reminded: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    emails_retried: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"reminded": self.reminded, "escalated": self.escalated,
                "emails_retried": self.emails_retried}


def _late(now: datetime) -> Q:
    return (Q(acknowledged_at__isnull=True, acknowledge_due_at__lte=now)
            | Q(follow_up_due_at__lte=now))


def remind_and_escalate(*, now: datetime, send_email=None) -> ReminderRun:
    from tanggap.referrals import tasks

    run = ReminderRun()
    # A case the desk has closed needs no more chasing, whatever the body has not answered yet.
    open_late = (Referral.objects.filter(_late(now), status__in=OPEN_REFERRAL_STATUSES)
                 .exclude(case__status__in=CLOSED_STATUSES))
    for referral_id in open_late.filter(reminded_at__isnull=True).values_list("pk", flat=True):
        if _claim(referral_id, "reminded_at", now):
            _remind(referral_id, now)
            run.reminded.append(referral_id)
    # The body is reminded as soon as it is late; the supervisors hear once the follow-up limit
    # has passed too (a body that acknowledged and then went quiet, or never answered at all).
    escalate = open_late.filter(escalated_at__isnull=True, follow_up_due_at__lte=now)
    for referral_id in escalate.values_list("pk", flat=True):
        if _claim(referral_id, "escalated_at", now):
            _escalate(referral_id, now)
            run.escalated.append(referral_id)
    for referral_id in Referral.objects.filter(email_state=EmailState.FAILED).values_list(
            "pk", flat=True):
        (send_email or tasks.send_referral_email_now)(referral_id, now=now)
        run.emails_retried.append(referral_id)
    return run


def _claim(referral_id: int, column: str, now: datetime) -> bool:
    return Referral.objects.filter(pk=referral_id, **{f"{column}__isnull": True}).update(
        **{column: now}) == 1


def _mail(recipients: list[str], subject: str, text: str) -> str:
    if not recipients:
        return "no address"
    try:
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
    except Exception as exc:  # a reminder is a courtesy: the referral shows it is late anyway
        logger.warning("reminder e-mail failed: %s", exc)
        return f"{type(exc).__name__}: {exc}"[:200]
    return "sent"


def _remind(referral_id: int, now: datetime) -> None:
    from tanggap.referrals.tasks import liaison_url

    referral = Referral.objects.select_related("body", "case", "workspace").get(pk=referral_id)
    with translation.override("id"):
        outcome = _mail(referral.body.emails,
                        _("Reminder: report %(number)s is waiting for your answer")
                        % {"number": referral.case.tracking_number},
                        _("Report %(number)s, referred to %(body)s by %(desk)s, is past its time "
                          "limit. Please answer on this page:\n\n%(link)s\n")
                        % {"number": referral.case.tracking_number, "body": referral.body.name,
                           "desk": referral.workspace.name, "link": liaison_url(referral)})
    with transaction.atomic():
        events.record(workspace_id=referral.workspace_id, actor=None, now=now,
                      case=referral.case, obj=referral, action="referral.reminded",
                      after={"email": outcome, "status": referral.status})
        publish_on_commit(referral.workspace_id, {"kind": "case", "reason": "referral",
                                                  "case_id": referral.case_id})


def _escalate(referral_id: int, now: datetime) -> None:
    referral = Referral.objects.select_related("body", "case", "workspace").get(pk=referral_id)
    supervisors = list(Membership.objects.filter(workspace_id=referral.workspace_id,
                                                 role__in=SUPERVISING_ROLES)
                       .exclude(user__email="").values_list("user__email", flat=True))
    late = "acknowledge" if referral.status == ReferralStatus.TERKIRIM else "follow_up"
    with translation.override("id"):
        outcome = _mail(supervisors,
                        _("Escalation: %(body)s has not answered report %(number)s")
                        % {"body": referral.body.name, "number": referral.case.tracking_number},
                        _("The referral of report %(number)s to %(body)s is past its time limit "
                          "(%(late)s). Follow it up with the body.")
                        % {"number": referral.case.tracking_number, "body": referral.body.name,
                           "late": late})
    with transaction.atomic():
        events.record(workspace_id=referral.workspace_id, actor=None, now=now,
                      case=referral.case, obj=referral, action="referral.escalated",
                      after={"late": late, "email": outcome, "supervisors": len(supervisors)})
        publish_on_commit(referral.workspace_id, {"kind": "case", "reason": "escalation",
                                                  "case_id": referral.case_id})
