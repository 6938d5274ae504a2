"""Background jobs of the referrals room: ids in, one action out, safe to run twice."""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone, translation

from tanggap.referrals import actions, liaison
from tanggap.referrals.models import EmailState, Referral

logger = logging.getLogger(__name__)


def liaison_url(referral: Referral) -> str:
    from django.urls import reverse

    path = reverse("liaison", args=[liaison.token_for(referral)])
    return settings.TANGGAP_PUBLIC_URL.rstrip("/") + path


def send_referral_email_now(referral_id: int, *, now) -> str:
    """Send the body its e-mail with the liaison link; record the outcome on the referral. A
    failure is visible there and retried by the next call (the reminder job re-queues failed
    ones) until TANGGAP_REFERRAL_EMAIL_ATTEMPTS; it never touches the case."""
    referral = (Referral.objects.select_related("body", "case", "workspace")
                .filter(pk=referral_id).first())
    if referral is None or referral.email_state not in (EmailState.PENDING, EmailState.FAILED):
        return "skipped"
    with translation.override("id"):
        context = {"referral": referral, "link": liaison_url(referral),
                   "case": referral.case, "body": referral.body,
                   "words": referral.case.messages.filter(direction="in").order_by("id")
                   .values_list("text", flat=True).first() or ""}
        subject = render_to_string("referrals/email_subject.txt", context).strip()
        text = render_to_string("referrals/email_body.txt", context)
    try:
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, referral.body.emails,
                  fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        final = referral.email_attempts + 1 >= settings.TANGGAP_REFERRAL_EMAIL_ATTEMPTS
        logger.warning("referral %s e-mail failed: %s", referral_id, exc)
        actions.record_email_outcome(referral_id=referral_id, error=f"{type(exc).__name__}: {exc}",
                                     final=final, now=now)
        return "gave_up" if final else "failed"
    actions.record_email_outcome(referral_id=referral_id, error=None, final=True, now=now)
    return "sent"


@task()
def send_referral_email(referral_id: int) -> str:
    return send_referral_email_now(referral_id, now=timezone.now())


def enqueue_email(referral_id: int) -> None:
    send_referral_email.enqueue(referral_id)
