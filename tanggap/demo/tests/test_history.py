"""The demo's year of history: written in bulk with the audit trail the desk would have left,
read into the reports like any other, once, and nothing of it waits in today's inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import ingest_inbound
from tanggap.cases.models import CLOSED_STATUSES, Case, Message
from tanggap.connectors.models import ChannelAccount
from tanggap.demo.actions import DEMO_SLUG, setup_demo
from tanggap.demo.history import generate_history
from tanggap.portal.models import Submission
from tanggap.reports.models import CaseFact, DailyRollup
from tanggap.sla.models import Breach
from tanggap.workspaces.models import Workspace


@pytest.fixture
def demo(db):
    now = timezone.now()
    setup_demo(now=now, seed=False)
    return Workspace.objects.get(slug=DEMO_SLUG), now


def test_a_month_of_history_becomes_cases_messages_events_and_roll_ups(demo):
    workspace, now = demo
    report = generate_history(workspace=workspace, now=now, days=30, per_day=10)
    assert report.cases > 150 and not report.skipped
    cases = Case.objects.filter(workspace=workspace)
    assert cases.count() == report.cases
    assert Message.objects.filter(workspace=workspace).count() == report.messages
    assert not cases.exclude(status__in=CLOSED_STATUSES).exists()
    assert not Message.objects.filter(created_at__gt=now).exists()
    assert not AuditEvent.objects.filter(created_at__gt=now).exists()
    actions = list(AuditEvent.objects.filter(workspace=workspace, case__isnull=False)
                   .values_list("action", flat=True))
    assert actions.count("case.opened") == report.cases
    assert actions.count("case.status_changed") == report.cases
    # Audit ids follow the clock, as on a real desk.
    stamps = list(AuditEvent.objects.filter(workspace=workspace, case__isnull=False)
                  .order_by("pk").values_list("created_at", flat=True))
    assert stamps == sorted(stamps)
    # Every case is in the reports, and the form's points became areas.
    assert CaseFact.objects.filter(workspace_id=workspace.pk).count() == report.cases
    assert sum(DailyRollup.objects.filter(workspace_id=workspace.pk, operator_id=0)
               .values_list("opened", flat=True)) == report.cases
    # The demo's SLA policies were kept or breached, as the sla room's check would have found.
    outcomes = set(CaseFact.objects.filter(workspace_id=workspace.pk)
                   .values_list("sla_first", flat=True))
    assert {"met", "breached"} <= outcomes
    assert Breach.objects.filter(workspace=workspace).count() == actions.count("sla.breached")
    assert sum(DailyRollup.objects.filter(workspace_id=workspace.pk, operator_id=0)
               .values_list("sla_first_breached", flat=True)) == CaseFact.objects.filter(
        workspace_id=workspace.pk, sla_first="breached").count()
    located = Submission.objects.filter(workspace=workspace, latitude__isnull=False)
    assert located.exists()
    assert CaseFact.objects.filter(case_id__in=located.values("case_id"), area="").count() == 0
    # The desk goes on after the history: the ids (PostgreSQL's sequences) moved past it.
    top = Case.objects.order_by("-pk").first().pk
    web = ChannelAccount.objects.get(workspace=workspace, platform="web")
    fresh = ingest_inbound(channel=web, external_id="after-history", author_id="w-new",
                           author_name="Warga", text="Lampu jalan mati di depan rumah",
                           now=now + timedelta(seconds=1)).case
    assert fresh.pk > top


def test_history_is_written_once(demo):
    workspace, now = demo
    first = generate_history(workspace=workspace, now=now, days=20, per_day=5)
    again = generate_history(workspace=workspace, now=now, days=20, per_day=5)
    assert first.cases and again.skipped and not again.cases
    assert Case.objects.filter(workspace=workspace).count() == first.cases


def test_demo_setup_with_history_says_what_it_wrote(db, monkeypatch):
    import tanggap.demo.history as history

    monkeypatch.setattr(history, "HISTORY_DAYS", 15)
    monkeypatch.setattr(history, "CASES_PER_DAY", 4)
    from io import StringIO

    out = StringIO()
    call_command("demo_setup", "--history", stdout=out)
    assert "History: a year of" in out.getvalue()
    out = StringIO()
    call_command("demo_setup", "--history", stdout=out)
    assert "History: the workspace already has cases older than a week" in out.getvalue()
