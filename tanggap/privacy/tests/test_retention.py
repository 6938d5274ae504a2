"""Retention: closed cases past their workspace's period lose the citizen's personal data and
keep what reports count; open and recent cases are never touched; a run twice changes nothing."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases import search
from tanggap.cases.actions import (
    ANONYMISED_TEXT,
    add_note,
    claim_case,
    correct_triage,
    send_reply,
    set_case_status,
)
from tanggap.cases.models import Case, Contact, Message, Note, TriageLabel
from tanggap.connectors.delivery import deliver_message_now
from tanggap.connectors.models import WebhookDelivery
from tanggap.periodic import registry
from tanggap.periodic.runner import Runner
from tanggap.portal.models import Submission
from tanggap.privacy.actions import anonymise_for_retention, set_retention
from tanggap.privacy.queries import months_before
from tanggap.privacy.retention import run_retention
from tanggap.privacy.tests.helpers import admin_of, tables_holding

# Relative to the real clock, because `tanggap retention run` reads it: the old cases are 800
# days old (past 24 months whatever the date), the recent one 600 days (inside them).
NOW = timezone.now()


@pytest.mark.parametrize(("moment", "months", "expected"), [
    (datetime(2027, 3, 31, 4, 0, tzinfo=timezone.UTC), 1, datetime(2027, 2, 28, 4, 0, tzinfo=timezone.UTC)),
    (datetime(2027, 1, 15, 0, 0, tzinfo=timezone.UTC), 13, datetime(2025, 12, 15, 0, 0, tzinfo=timezone.UTC)),
    (datetime(2028, 3, 30, 0, 0, tzinfo=timezone.UTC), 25, datetime(2026, 2, 28, 0, 0, tzinfo=timezone.UTC)),
    (datetime(2027, 5, 5, 0, 0, tzinfo=timezone.UTC), 0, datetime(2027, 5, 5, 0, 0, tzinfo=timezone.UTC)),
])
def test_months_before_is_calendar_months(moment, months, expected):
    assert months_before(moment, months) == expected


def _case(desk, *, text, author, at, closed=True, photo=None, channel=None, deliver=True):
    """A citizen's case written at `at`, answered (the reply delivered unless not `deliver`),
    noted, labelled, and (when `closed`) closed."""
    result = desk.inbound(text=text, external_id=f"m-{author}", author_id=author,
                          channel=channel, now=at)
    case = claim_case(case_id=result.case.pk, actor=desk.ani.user, now=at)
    reply = send_reply(case_id=case.pk, actor=desk.ani.user, text=f"Baik, {author}, kami cek.",
                       idempotency_key=f"r-{result.message.pk}", base_version=case.version,
                       now=at).message
    if deliver:
        deliver_message_now(message_id=reply.pk, now=at)
    add_note(case_id=case.pk, actor=desk.ani.user, text=f"{author} minta ditelepon", now=at)
    correct_triage(case_id=case.pk, actor=desk.ani.user, topic="jalan", now=at)
    if photo is not None:
        Message.objects.filter(pk=result.message.pk).update(attachments=[photo])
    if closed:
        set_case_status(case_id=case.pk, actor=desk.ani.user, status="selesai", now=at)
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def aged(desk, settings, tmp_path, monkeypatch):
    """bpn keeps 24 months: an old closed case (with a portal form and a photo), a recent closed
    one, an old open one; dlh keeps everything (0)."""
    # Tracking numbers are in the search index, and a random one can change how the index's
    # segments store the test's words (a word sharing its first letters with the term before it
    # is stored as the rest of it): digits only, so the segments are the same on every run.
    numbers = (f"TG-0000-0000-{n:04d}" for n in range(1, 100))
    monkeypatch.setattr("tanggap.cases.actions.new_tracking_number", lambda: next(numbers))
    settings.TANGGAP_UPLOAD_DIR = str(tmp_path / "uploads")
    photo_path = tmp_path / "uploads" / "portal" / "foto.jpg"
    photo_path.parent.mkdir(parents=True)
    photo_path.write_bytes(b"\xff\xd8 foto")
    photo = {"type": "image", "name": "rumah-saya.jpg", "content_type": "image/jpeg",
             "size": 7, "sha256": "x", "storage": "uploads", "path": "portal/foto.jpg"}
    old = NOW - timedelta(days=800)
    cases = {
        "old": _case(desk, text="Jalan rusak depan rumah Sumarni", author="sumarni", at=old,
                     photo=photo),
        "recent": _case(desk, text="Lampu mati kata Darmawan", author="darmawan",
                        at=NOW - timedelta(days=600)),
        "open": _case(desk, text="Banjir di rumah Kartini", author="kartini", at=old,
                      closed=False),
        "dlh": _case(desk, text="Sampah di rumah Wiranto", author="wiranto", at=old,
                     channel=desk.dlh_web),
    }
    Submission.objects.create(workspace=desk.bpn, case=cases["old"],
                              message=cases["old"].messages.filter(direction="in").get(),
                              reporter_contact="+6281299001122", latitude="-1.265000",
                              longitude="116.831000", address="Jl. Melati 7", created_at=old)
    set_retention(workspace=desk.dlh, months=0, actor=None, now=old)
    return cases, photo_path


def _texts(case):
    return sorted(Message.objects.filter(case=case).values_list("text", flat=True))


def test_closed_cases_past_the_period_lose_personal_data_and_keep_what_reports_count(
        aged, django_capture_on_commit_callbacks):
    cases, photo_path = aged
    old = cases["old"]
    kept_before = Case.objects.filter(pk=old.pk).values(
        "status", "kind", "topic", "intent", "channel_id", "created_at", "updated_at",
        "last_inbound_at", "tracking_number", "answered_by_id").get()
    messages_before = list(Message.objects.filter(case=old).order_by("pk").values(
        "direction", "created_at", "delivery_status", "sent_by_id", "channel_id"))
    untouched = {name: _texts(cases[name]) for name in ("recent", "open", "dlh")}
    # Words of the old case only, as the search index holds them (folded). The index's segments
    # (cases_search_fts_data) store a word whole or as the end of the word before it: those
    # seen whole before the run must be gone after it, not only marked deleted.
    gone, kept = ["rusak", "depan", "sumarni"], ["darmawan", "kartini"]
    before = tables_holding(gone + kept)
    in_segments = [word for word in gone if "cases_search_fts_data" in before[word]]
    assert in_segments or connection.vendor != "sqlite"
    assert all(before[word] for word in gone + kept)

    with django_capture_on_commit_callbacks(execute=True):
        run = run_retention(now=NOW)

    assert [(w.slug, w.months, w.due, w.done.cases, w.done.contacts) for w in run.workspaces] == [
        ("bpn", 24, 1, 1, 1), ("dlh", 0, 0, 0, 0)]
    old.refresh_from_db()
    assert old.anonymised_at == NOW and old.thread_id == "" and old.triage_reasons == []
    assert Case.objects.filter(pk=old.pk).values(*kept_before).get() == kept_before
    assert list(Message.objects.filter(case=old).order_by("pk").values(
        *messages_before[0])) == messages_before
    inbound, reply = Message.objects.filter(case=old).order_by("pk")
    assert (inbound.text, inbound.author_name, inbound.external_id) == (ANONYMISED_TEXT, "", None)
    assert inbound.attachments == [{"type": "image", "erased": True}]
    assert "reasons" not in inbound.triage and inbound.triage["topic"]
    assert (reply.text, reply.author_name) == (ANONYMISED_TEXT, "ani")
    assert list(Note.objects.filter(case=old).values_list("text", flat=True)) == [ANONYMISED_TEXT]
    assert list(TriageLabel.objects.filter(case=old).values_list("text", "topic")) == [("", "jalan")]
    assert Submission.objects.filter(case=old).values(
        "reporter_contact", "latitude", "longitude", "address").get() == {
        "reporter_contact": "", "latitude": None, "longitude": None, "address": ""}
    assert not photo_path.exists()
    contact = Contact.objects.get(pk=old.contact_id)
    assert (contact.display_name, contact.external_id, contact.anonymised_at) == (
        "", f"dianonimkan-{contact.pk}", NOW)
    # Nowhere, not in the search index's segments either; the other cases' words stay.
    held = tables_holding(gone + kept)
    assert {word: held[word] for word in gone} == {word: set() for word in gone}
    assert all(held[word] for word in kept)
    assert not Case.objects.filter(search.matching("sumarni")).exists()
    assert list(Case.objects.filter(search.matching("darmawan"))) == [cases["recent"]]
    for name, texts in untouched.items():
        assert _texts(cases[name]) == texts
        assert Case.objects.get(pk=cases[name].pk).anonymised_at is None
    assert list(AuditEvent.objects.filter(action="privacy.case_anonymised")
                .values_list("case_id", "after")) == [(old.pk, {"reason": "retention"})]
    [summary] = AuditEvent.objects.filter(action="privacy.retention_applied")
    assert (summary.workspace_id, summary.actor_id) == (old.workspace_id, None)
    assert summary.after["cases"] == 1 and summary.after["contacts"] == 1
    assert {key: value for key, value in summary.after["counts"].items() if value} == {
        "cases.messages": 2, "cases.notes": 1, "cases.labels": 1, "portal.forms": 1,
        "portal.photos": 1}
    assert set(summary.after["counts"]) >= {
        "connectors.sends", "connectors.raw_webhooks", "referrals.notes",
        "referrals.linked_cases", "roster.handover_notes", "approvals.held_replies"}


def test_a_second_run_changes_nothing(aged):
    run_retention(now=NOW)
    events = AuditEvent.objects.count()
    rows = list(Message.objects.order_by("pk").values())
    again = run_retention(now=NOW + timedelta(hours=6))
    assert sum(w.done.cases for w in again.workspaces) == 0
    assert AuditEvent.objects.count() == events
    assert list(Message.objects.order_by("pk").values()) == rows


def test_a_contact_with_a_case_that_still_holds_data_keeps_its_name(desk):
    old = NOW - timedelta(days=800)
    first = _case(desk, text="Jalan rusak", author="tono", at=old)
    second = _case(desk, text="Masih rusak", author="tono2", at=old, closed=False)
    Case.objects.filter(pk=second.pk).update(contact=first.contact)
    run_retention(now=NOW)
    assert Case.objects.get(pk=first.pk).anonymised_at == NOW
    contact = Contact.objects.get(pk=first.contact_id)
    assert (contact.display_name, contact.anonymised_at) == ("Warga Satu", None)


def test_a_case_reopened_before_its_batch_is_left_alone(aged):
    cases, _ = aged
    set_case_status(case_id=cases["old"].pk, actor=None, status="baru", now=NOW)
    done = anonymise_for_retention(workspace_id=cases["old"].workspace_id,
                                   case_ids=[cases["old"].pk], cutoff=months_before(NOW, 24),
                                   now=NOW, months=24)
    assert done.cases == 0
    assert Case.objects.get(pk=cases["old"].pk).anonymised_at is None
    assert "Jalan rusak depan rumah Sumarni" in _texts(cases["old"])


def test_a_dry_run_counts_and_changes_nothing(aged, monkeypatch):
    rows = list(Message.objects.order_by("pk").values())
    out = io.StringIO()
    # The command reads the clock once; it reads NOW here, so a suite that crosses midnight
    # between this module's import and this test still expects the command's own date.
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    call_command("retention", "run", "--dry-run", stdout=out)
    assert out.getvalue().splitlines() == [
        f"bpn: 1 closed cases unchanged since before {months_before(NOW, 24):%Y-%m-%d} "
        "would be anonymised",
        "dlh: keeps personal data (retention 0)"]
    assert list(Message.objects.order_by("pk").values()) == rows


def test_the_periodic_runner_runs_the_retention_job(aged):
    assert [job.name for job in registry.jobs(["privacy.retention"])] == ["privacy.retention"]
    Runner(only=["privacy.retention"], clock=lambda: NOW).tick()
    assert Case.objects.get(pk=aged[0]["old"].pk).anonymised_at == NOW


def test_raw_webhook_bodies_are_emptied_after_their_keeping_time(db, settings):
    settings.TANGGAP_WEBHOOK_BODY_DAYS = 30

    def delivery(n, processed):
        return WebhookDelivery.objects.create(
            source="meta", body=b'{"from": "6281299887766"}' + bytes([n]), body_sha256=f"{n:064}",
            received_at=NOW - timedelta(days=90), processed_at=processed)

    stale = delivery(1, NOW - timedelta(days=31))
    fresh = delivery(2, NOW - timedelta(days=29))
    waiting = delivery(3, None)
    assert run_retention(now=NOW).pruned == 1
    bodies = {d.pk: bytes(d.body) for d in WebhookDelivery.objects.all()}
    assert bodies[stale.pk] == b"" and bodies[fresh.pk] and bodies[waiting.pk]
    assert WebhookDelivery.objects.get(pk=stale.pk).body_sha256 == f"{1:064}"
    settings.TANGGAP_WEBHOOK_BODY_DAYS = 0
    assert run_retention(now=NOW + timedelta(days=400)).pruned == 0


def test_an_admin_sets_a_workspace_period_audited(desk):
    adi = admin_of(desk.bpn)
    out = io.StringIO()
    call_command("retention", "set", "bpn", "--months", "12", "--by", "adi", stdout=out)
    assert out.getvalue() == "bpn: retention 12 months\n"
    [event] = AuditEvent.objects.filter(action="privacy.retention_changed")
    assert (event.actor_id, event.before, event.after) == (adi.pk, {"months": 24}, {"months": 12})
    status = io.StringIO()
    call_command("retention", "status", stdout=status)
    assert status.getvalue().splitlines() == [
        "bpn: personal data on closed cases kept 12 months after closing",
        "dlh: personal data on closed cases kept 24 months after closing"]


@pytest.mark.parametrize(("args", "message"), [
    (["set", "bpn", "--months", "-1"], "months must be a whole number from 0 to 1200"),
    (["set", "bpn", "--months", "12", "--by", "ani"], "ani is not an active admin of workspace bpn"),
    (["set", "bpn", "--months", "12", "--by", "luar"], "luar is not an active admin"),
    (["set", "nowhere", "--months", "12"], "no workspace nowhere"),
    (["run", "--workspace", "nowhere"], "no workspace nowhere"),
])
def test_bad_retention_commands_change_nothing(desk, args, message):
    events = AuditEvent.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("retention", *args)
    assert AuditEvent.objects.count() == events


def test_a_case_whose_reply_is_still_on_its_way_waits_for_the_next_run(desk):
    # Anonymising it now would hand "[dianonimkan]" to the delivery, or make its reconciliation
    # miss the earlier post and post twice: the one-answer rule comes first.
    old = NOW - timedelta(days=800)
    case = _case(desk, text="Drainase tersumbat kata Yusuf", author="yusuf", at=old,
                 deliver=False)
    reply = case.messages.get(direction="out")
    run = run_retention(now=NOW)
    assert (run.workspaces[0].due, run.workspaces[0].done.cases, run.workspaces[0].done.held) == (
        1, 0, 1)
    assert run.summary().endswith("; 1 held back until their replies are delivered")
    assert Case.objects.get(pk=case.pk).anonymised_at is None
    assert Message.objects.get(pk=reply.pk).text == "Baik, yusuf, kami cek."
    assert deliver_message_now(message_id=reply.pk, now=NOW).status == "sent"
    assert Message.objects.get(pk=reply.pk).text == "Baik, yusuf, kami cek."
    later = run_retention(now=NOW + timedelta(hours=6))
    assert (later.workspaces[0].done.cases, later.workspaces[0].done.held) == (1, 0)
    assert _texts(case) == [ANONYMISED_TEXT, ANONYMISED_TEXT]


def test_words_added_to_an_anonymised_case_are_anonymised_again(aged):
    # A note on a case of years ago may name the citizen again: the case holds personal data
    # once more, and the next run takes it (it is still past its period).
    cases, _ = aged
    run_retention(now=NOW)
    old = Case.objects.get(pk=cases["old"].pk)
    assert old.anonymised_at == NOW
    add_note(case_id=old.pk, actor=old.answered_by, text="Sumarni datang ke kantor",
             now=NOW + timedelta(hours=1))
    assert Case.objects.get(pk=old.pk).anonymised_at is None
    later = NOW + timedelta(hours=6)
    assert [w.done.cases for w in run_retention(now=later).workspaces] == [1, 0]
    assert list(Note.objects.filter(case=old).values_list("text", flat=True)) == [
        ANONYMISED_TEXT, ANONYMISED_TEXT]
    assert Case.objects.get(pk=old.pk).anonymised_at == later
