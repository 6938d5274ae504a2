"""The time limits' job: an overdue referral reminds its body once and escalates to the desk's
supervisors once; e-mails to bodies that failed are tried again.

`remind_and_escalate` is a plain function of `now`, run by the periodic runner as the job
`referrals.remind` (tanggap.referrals.jobs; `tanggap serve` and `tanggap periodic` run it) and by
`tanggap referrals remind` (cron, by hand). It is safe to run twice and on several machines: each
reminder and escalation is claimed with a conditional UPDATE in the same transaction as its audit
event, so it happens at most once, and its e-mail leaves after that commit. An e-mail that fails
is recorded on the case's trail (`referral.reminder_failed`) and not retried: the referral shows
it is late anyway. One referral that fails does not stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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
from tanggap.referrals.models import OPEN_REFERRAL_STATUSES, EmailState, Referral
from tanggap.workspaces.models import SUPERVISING_ROLES, Membership

logger = logging.getLogger(__name__)


@dataclass
class ReminderRun:
    reminded: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    emails_retried: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"reminded={len(self.reminded)} escalated={len(self.escalated)} "
                f"emails_retried={len(self.emails_retried)}")


def _late(now: datetime) -> Q:
    return (Q(acknowledged_at__isnull=True, acknowledge_due_at__lte=now)
            | Q(follow_up_due_at__lte=now))


def remind_and_escalate(*, now: datetime, send_email: Callable | None = None,
                        keep_alive: Callable[[], bool] = lambda: True) -> ReminderRun:
    """One pass over the open referrals that are late. `send_email(referral_id, now=)` retries a
    body's failed e-mail (default: tasks.send_referral_email_now); `keep_alive()` is asked
    between referrals and stops the pass when it answers False (the runner's lease was lost)."""
    from tanggap.referrals import tasks

    run = ReminderRun()
    # A case the desk has closed needs no more chasing, whatever the body has not answered yet.
    open_late = (Referral.objects.filter(_late(now), status__in=OPEN_REFERRAL_STATUSES)
                 .exclude(case__status__in=CLOSED_STATUSES))
    units = [(_remind, run.reminded, pk) for pk in
             open_late.filter(reminded_at__isnull=True).order_by("pk").values_list("pk", flat=True)]
    # The body is reminded as soon as it is late; the supervisors hear once the follow-up limit
    # has passed too (a body that acknowledged and then went quiet, or never answered at all).
    units += [(_escalate, run.escalated, pk) for pk in
              open_late.filter(escalated_at__isnull=True, follow_up_due_at__lte=now)
              .order_by("pk").values_list("pk", flat=True)]
    retry = send_email or tasks.send_referral_email_now

    def retry_email(referral_id: int, now: datetime) -> str:
        return retry(referral_id, now=now)

    units += [(retry_email, run.emails_retried, pk) for pk in
              Referral.objects.filter(email_state=EmailState.FAILED).order_by("pk")
              .values_list("pk", flat=True)]
    for step, done, referral_id in units:
        if not keep_alive():
            run.problems.append("stopped: the lease was lost; the next run goes on")
            break
        try:
            outcome = step(referral_id, now)
        except Exception as exc:
            logger.exception("referral %s: %s failed", referral_id, step.__name__)
            run.problems.append(f"referral {referral_id}: {type(exc).__name__}: {exc}")
            continue
        if outcome is None:  # another runner got there first
            continue
        done.append(referral_id)
        if isinstance(outcome, str) and outcome.startswith("failed:"):
            run.problems.append(f"referral {referral_id}: {outcome}")
    return run


def _claim(referral_id: int, column: str, now: datetime) -> Referral | None:
    """The referral, if this run is the one that reminds (or escalates) it; inside the caller's
    transaction, so the mark and the audit event commit together."""
    if not Referral.objects.filter(pk=referral_id, **{f"{column}__isnull": True}).update(
            **{column: now}):
        return None
    return Referral.objects.select_related("body", "case", "workspace").get(pk=referral_id)


def _mail(recipients: list[str], subject: str, text: str) -> str:
    if not recipients:
        return "no address"
    try:
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
    except Exception as exc:  # any transport failure: recorded, the other referrals go on
        logger.warning("reminder e-mail failed: %s", exc)
        return f"failed: {type(exc).__name__}: {exc}"[:200]
    return "sent"


def _after_mail(referral: Referral, outcome: str, action: str, now: datetime) -> str:
    if outcome.startswith("failed:"):
        with transaction.atomic():
            events.record(workspace_id=referral.workspace_id, actor=None, now=now,
                          case=referral.case, obj=referral, action=action,
                          after={"error": outcome.removeprefix("failed: ")})
    return outcome


def _remind(referral_id: int, now: datetime) -> str | None:
    from tanggap.referrals.tasks import liaison_url

    with transaction.atomic():
        referral = _claim(referral_id, "reminded_at", now)
        if referral is None:
            return None
        late = "acknowledge" if referral.acknowledged_at is None else "follow_up"
        events.record(workspace_id=referral.workspace_id, actor=None, now=now,
                      case=referral.case, obj=referral, action="referral.reminded",
                      after={"late": late, "to": referral.body.emails,
                             "status": referral.status})
        publish_on_commit(referral.workspace_id, {"kind": "case", "reason": "referral",
                                                  "case_id": referral.case_id})
    with translation.override("id"):
        outcome = _mail(referral.body.emails,
                        _("Reminder: report %(number)s is waiting for your answer")
                        % {"number": referral.case.tracking_number},
                        _("Report %(number)s, referred to %(body)s by %(desk)s, is past its time "
                          "limit. Please answer on this page:\n\n%(link)s\n")
                        % {"number": referral.case.tracking_number, "body": referral.body.name,
                           "desk": referral.workspace.name, "link": liaison_url(referral)})
    return _after_mail(referral, outcome, "referral.reminder_failed", now)


def _escalate(referral_id: int, now: datetime) -> str | None:
    with transaction.atomic():
        referral = _claim(referral_id, "escalated_at", now)
        if referral is None:
            return None
        supervisors = list(Membership.objects.filter(workspace_id=referral.workspace_id,
                                                     role__in=SUPERVISING_ROLES,
                                                     user__is_active=True)
                           .exclude(user__email="").order_by("user__email")
                           .values_list("user__email", flat=True))
        late = "acknowledge" if referral.acknowledged_at is None else "follow_up"
        events.record(workspace_id=referral.workspace_id, actor=None, now=now,
                      case=referral.case, obj=referral, action="referral.escalated",
                      after={"late": late, "supervisors": len(supervisors),
                             "status": referral.status})
        publish_on_commit(referral.workspace_id, {"kind": "case", "reason": "escalation",
                                                  "case_id": referral.case_id})
    with translation.override("id"):
        outcome = _mail(supervisors,
                        _("Escalation: %(body)s has not answered report %(number)s")
                        % {"body": referral.body.name, "number": referral.case.tracking_number},
                        _("The referral of report %(number)s to %(body)s is past its time limit "
                          "(%(late)s). Follow it up with the body.")
                        % {"number": referral.case.tracking_number, "body": referral.body.name,
                           "late": late})
    return _after_mail(referral, outcome, "referral.escalation_failed", now)
