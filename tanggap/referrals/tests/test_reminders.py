"""The periodic job `referrals.remind`: registered with the runner, it reminds a late body and
escalates to the supervisors once each (also when two runs race), records a failed e-mail on
the case and as the job's problem without stopping the other referrals, leaves closed cases
alone, and stops when its lease is lost. Clocks are injected."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Case
from tanggap.periodic import registry
from tanggap.periodic.models import PeriodicJob
from tanggap.periodic.runner import Runner
from tanggap.referrals import reminders
from tanggap.referrals.jobs import REMIND
from tanggap.referrals.models import Referral
from tanggap.referrals.reminders import remind_and_escalate


def _referred(desk, body, n=1):
    referrals = []
    for i in range(n):
        case = desk.inbound(text="Listrik padam di Jl. Sudirman", external_id=f"m{i}",
                            author_id=f"w{i}").case
        desk.ani.post(f"/api/v1/cases/{case.pk}/claim")
        response = desk.ani.post(f"/api/v1/cases/{case.pk}/referrals", {"body_id": body.pk})
        assert response.status_code == 201, response.content
        referrals.append(Referral.objects.get(pk=response.json()["id"]))
    return referrals


def _actions(referral):
    return list(AuditEvent.objects.filter(case=referral.case, action__startswith="referral.")
                .order_by("id").values_list("action", flat=True))


def test_the_desk_registers_the_reminder_job():
    job = next(j for j in registry.jobs() if j.name == REMIND)
    assert job.every_seconds() == 300


def test_the_runner_reminds_then_escalates_each_once(desk, directory, settings):
    (referral,) = _referred(desk, directory.pln)
    desk.sari.user.email = "sari@bpn.example"
    desk.sari.user.save()
    mail.outbox.clear()
    late = referral.acknowledge_due_at + timedelta(minutes=1)
    clock = [late]
    runner = Runner(only=[REMIND], clock=lambda: clock[0], holder="a")
    runner.tick(force=True)
    row = PeriodicJob.objects.get(name=REMIND)
    assert (row.runs, row.failures, row.last_summary, row.last_error) == (
        1, 0, "reminded=1 escalated=0 emails_retried=0", "")
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["pengaduan@pln.example"],
         f"Pengingat: laporan {referral.case.tracking_number} menunggu jawaban Anda")]
    assert directory.pln.name in mail.outbox[0].body
    # Due again after the interval, nothing new until the follow-up limit has passed too.
    clock[0] = late + timedelta(seconds=settings.TANGGAP_REFERRAL_REMIND_INTERVAL_SECONDS)
    runner.tick()
    assert PeriodicJob.objects.get(name=REMIND).last_summary == \
        "reminded=0 escalated=0 emails_retried=0"
    clock[0] = referral.follow_up_due_at + timedelta(minutes=1)
    runner.tick()
    assert PeriodicJob.objects.get(name=REMIND).last_summary == \
        "reminded=0 escalated=1 emails_retried=0"
    assert mail.outbox[-1].to == ["sari@bpn.example"]
    clock[0] += timedelta(days=3)
    runner.tick()
    assert len(mail.outbox) == 2
    assert _actions(referral) == ["referral.created", "referral.reminded", "referral.escalated"]


def test_a_failed_e_mail_is_recorded_and_the_other_referrals_go_on(desk, directory, monkeypatch):
    first, second = _referred(desk, directory.pln, n=2)
    sent = []

    def flaky(subject, text, sender, recipients, fail_silently):
        if not sent:
            sent.append("refused")
            raise OSError("connection refused")
        sent.append(recipients)

    monkeypatch.setattr(reminders, "send_mail", flaky)
    run = remind_and_escalate(now=first.acknowledge_due_at + timedelta(minutes=1))
    assert run.reminded == [first.pk, second.pk]
    assert run.problems == [f"referral {first.pk}: failed: OSError: connection refused"]
    assert sent == ["refused", ["pengaduan@pln.example"]]
    assert _actions(first) == ["referral.created", "referral.reminded",
                               "referral.reminder_failed"]
    assert _actions(second) == ["referral.created", "referral.reminded"]
    # A reminder is a courtesy: a failed one is not sent again.
    again = remind_and_escalate(now=first.acknowledge_due_at + timedelta(hours=1))
    assert again.reminded == [] and len(sent) == 2


def test_one_referral_that_breaks_does_not_stop_the_others(desk, directory, monkeypatch):
    first, second = _referred(desk, directory.pln, n=2)
    real = reminders._claim

    def broken(referral_id, column, now):
        if referral_id == first.pk:
            raise RuntimeError("row gone odd")
        return real(referral_id, column, now)

    monkeypatch.setattr(reminders, "_claim", broken)
    run = remind_and_escalate(now=first.acknowledge_due_at + timedelta(minutes=1))
    assert run.reminded == [second.pk]
    assert run.problems == [f"referral {first.pk}: RuntimeError: row gone odd"]
    # Nothing half-written for the broken one: it is reminded by the next run.
    assert Referral.objects.get(pk=first.pk).reminded_at is None
    monkeypatch.undo()
    assert remind_and_escalate(
        now=first.acknowledge_due_at + timedelta(minutes=2)).reminded == [first.pk]


def test_closed_cases_are_not_chased_and_a_lost_lease_stops_the_pass(desk, directory):
    first, second = _referred(desk, directory.pln, n=2)
    Case.objects.filter(pk=first.case_id).update(status="ditutup")
    late = first.follow_up_due_at + timedelta(minutes=1)
    assert remind_and_escalate(now=late, keep_alive=lambda: False).problems == [
        "stopped: the lease was lost; the next run goes on"]
    assert Referral.objects.filter(reminded_at__isnull=False).count() == 0
    run = remind_and_escalate(now=late)
    assert (run.reminded, run.escalated) == ([second.pk], [second.pk])


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_remind_once(tx_desk):
    import threading

    from django.db import connection

    from tanggap.referrals.tests.conftest import make_directory

    directory = make_directory(tx_desk)
    (referral,) = _referred(tx_desk, directory.pln)
    late = referral.acknowledge_due_at + timedelta(minutes=1)
    barrier = threading.Barrier(2)
    runs = []

    def run():
        barrier.wait()
        try:
            runs.append(remind_and_escalate(now=late))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r.reminded) for r in runs) == [0, 1]
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="referral.reminded").count() == 1
