"""The roll-ups follow the audit trail: every count lands on its day and dimensions, moves when a
dimension changes, and is counted once however often the feed is read."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Sum

from tanggap.audit import events, feed
from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import (
    claim_case,
    correct_triage,
    send_reply,
    set_case_kind,
    set_case_status,
    take_over_case,
)
from tanggap.reports import durations, rollup
from tanggap.reports.models import (
    CaseFact,
    DailyRollup,
    DurationSlice,
    PendingAdditions,
    ReferralFact,
    RollupSlice,
)
from tanggap.reports.rollup import settle

# 02:00 UTC is 10:00 in Balikpapan (WITA, UTC+8): the same calendar day in both.
T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)


def totals(**filters) -> dict:
    qs = DailyRollup.objects.filter(**filters)
    sums = qs.aggregate(**{c: Sum(c) for c in ("opened", "messages_in", "thanks_in", "kasar_in", "answered",
                                                 "replies", "first_responses", "claims",
                                                 "resolved", "closed", "referred")})
    return {k: v for k, v in sums.items() if v}


def reply(desk, case, who, text="Terima kasih, laporan Bapak kami teruskan ke dinas terkait.",
          at=None, key="r1"):
    case.refresh_from_db()
    return send_reply(case_id=case.pk, actor=who.user, text=text, idempotency_key=key,
                      base_version=case.version, now=at)


def test_a_case_life_lands_on_its_days_and_operators(desk):
    case = desk.inbound(text="Lampu jalan di Jl. Sudirman mati sejak kemarin", now=T0).case
    desk.inbound(text="Min, lampu PJU masih mati, tolong dicek", external_id="m2",
                 now=T0 + timedelta(hours=1))
    claim_case(case_id=case.pk, actor=desk.ani.user, now=T0 + timedelta(hours=2))
    reply(desk, case, desk.ani, at=T0 + timedelta(hours=3))
    day2 = T0 + timedelta(days=1)
    set_case_status(case_id=case.pk, actor=desk.ani.user, status="selesai", now=day2)

    run = rollup.catch_up(now=day2)
    assert run.caught_up

    fact = CaseFact.objects.get(case_id=case.pk)
    assert (fact.opened_day, fact.first_response_seconds, fact.first_response_by) == (
        date(2026, 11, 3), 3 * 3600, desk.ani.user.pk)
    assert (fact.resolved_day, fact.resolution_seconds, fact.resolved_as) == (
        date(2026, 11, 4), 24 * 3600, "resolved")
    assert fact.topic == "penerangan_jalan" and fact.platform == "web"

    assert totals(day=date(2026, 11, 3), operator_id=0) == {
        "opened": 1, "messages_in": 2, "first_responses": 1, "answered": 1}
    assert totals(day=date(2026, 11, 3), operator_id=desk.ani.user.pk) == {
        "claims": 1, "replies": 1, "first_responses": 1}
    assert totals(day=date(2026, 11, 4), operator_id=0) == {"resolved": 1}
    assert totals(day=date(2026, 11, 4), operator_id=desk.ani.user.pk) == {"resolved": 1}

    # The same additions in the slices: the whole desk, the case's topic, the operator.
    def piece(dimension, value, day, *counters):
        row = RollupSlice.objects.get(workspace_id=desk.bpn.pk, dimension=dimension,
                                      value=value, day=day)
        return tuple(getattr(row, c) for c in counters)

    nov3 = date(2026, 11, 3)
    assert piece("", "", nov3, "opened", "messages_in", "replies", "claims", "first_responses",
                 "first_response_seconds") == (1, 2, 1, 1, 1, 3 * 3600)
    assert piece("topic", "penerangan_jalan", nov3, "opened", "replies") == (1, 1)
    assert piece("kasar", "0", nov3, "opened") == (1,)
    assert piece("operator", str(desk.ani.user.pk), nov3, "claims", "replies",
                 "first_responses", "opened") == (1, 1, 1, 0)
    assert piece("", "", date(2026, 11, 4), "resolved") == (1,)
    assert list(DurationSlice.objects.filter(workspace_id=desk.bpn.pk, dimension="")
                .order_by("metric").values_list("metric", "day", "bucket", "count")) == [
        ("fr", nov3, durations.bucket(3 * 3600), 1),
        ("rs", date(2026, 11, 4), durations.bucket(24 * 3600), 1)]


def test_reading_the_feed_twice_counts_once(desk):
    desk.inbound(now=T0)
    rollup.catch_up(now=T0)
    rollup.catch_up(now=T0)
    assert totals() == {"opened": 1, "messages_in": 1}


def test_a_corrected_topic_moves_the_whole_case(desk):
    case = desk.inbound(text="Lampu jalan di Jl. Sudirman mati sejak kemarin", now=T0).case
    claim_case(case_id=case.pk, actor=desk.ani.user, now=T0)
    reply(desk, case, desk.ani, at=T0 + timedelta(minutes=30))
    rollup.catch_up(now=T0)
    assert totals(topic="penerangan_jalan", operator_id=0) == {
        "opened": 1, "messages_in": 1, "first_responses": 1, "answered": 1}

    correct_triage(case_id=case.pk, actor=desk.ani.user, topic="listrik",
                   now=T0 + timedelta(days=3))
    set_case_kind(case_id=case.pk, actor=desk.ani.user, kind="pertanyaan",
                  now=T0 + timedelta(days=3))
    rollup.catch_up(now=T0 + timedelta(days=3))

    assert totals(topic="penerangan_jalan") == {}
    nov3 = date(2026, 11, 3)
    assert totals(topic="listrik", kind="pertanyaan", day=nov3, operator_id=0) == {
        "opened": 1, "messages_in": 1, "first_responses": 1, "answered": 1}
    assert totals(topic="listrik", kind="pertanyaan", day=nov3, operator_id=desk.ani.user.pk
                  ) == {"claims": 1, "replies": 1, "first_responses": 1}
    # The slices and the time histograms moved with it; the whole desk's did not change.
    slices = {(r.dimension, r.value): (r.opened, r.replies) for r in RollupSlice.objects.filter(
        workspace_id=desk.bpn.pk, day=nov3, dimension__in=("", "topic", "kind"))}
    assert slices == {("", ""): (1, 1), ("topic", "listrik"): (1, 1),
                      ("topic", "penerangan_jalan"): (0, 0), ("kind", "pertanyaan"): (1, 1),
                      ("kind", "aduan"): (0, 0)}
    times = {(r.value, r.bucket): r.count for r in DurationSlice.objects.filter(
        workspace_id=desk.bpn.pk, dimension="topic", metric="fr")}
    assert times == {("listrik", durations.bucket(1800)): 1,
                     ("penerangan_jalan", durations.bucket(1800)): 0}


def test_thanks_and_abusive_messages_are_their_own_counts(desk):
    desk.inbound(text="Terima kasih pak, lampunya sudah menyala lagi. Mantap pelayanannya!",
                 external_id="t1", author_id="w1", now=T0)
    desk.inbound(text="Dasar pemkot goblok, jalan rusak tidak pernah diperbaiki",
                 external_id="k1", author_id="w2", now=T0)
    rollup.catch_up(now=T0)
    assert totals() == {"opened": 2, "messages_in": 2, "thanks_in": 1, "kasar_in": 1}


def test_a_reopened_case_is_no_longer_resolved(desk):
    case = desk.inbound(now=T0).case
    set_case_status(case_id=case.pk, actor=desk.sari.user, status="ditutup", now=T0)
    rollup.catch_up(now=T0)
    assert totals(operator_id=0)["closed"] == 1
    set_case_status(case_id=case.pk, actor=desk.sari.user, status="menunggu",
                    now=T0 + timedelta(days=2))
    rollup.catch_up(now=T0 + timedelta(days=2))
    assert "closed" not in totals()
    assert CaseFact.objects.get(case_id=case.pk).resolved_at is None


def test_a_take_over_counts_as_the_supervisors_claim(desk):
    case = desk.inbound(now=T0).case
    claim_case(case_id=case.pk, actor=desk.ani.user, now=T0)
    membership = desk.sari.user.memberships.get(workspace=desk.bpn)
    take_over_case(case_id=case.pk, actor=desk.sari.user, membership=membership, now=T0)
    rollup.catch_up(now=T0)
    assert totals(operator_id=desk.sari.user.pk) == {"claims": 1}
    assert totals(operator_id=desk.ani.user.pk) == {"claims": 1}


def test_workspaces_are_kept_apart(desk):
    desk.inbound(now=T0)
    desk.inbound(channel=desk.dlh_web, external_id="d1", now=T0)
    rollup.catch_up(now=T0)
    assert totals(workspace_id=desk.bpn.pk)["opened"] == 1
    assert totals(workspace_id=desk.dlh.pk)["opened"] == 1


def test_referral_events_give_the_case_its_body(desk):
    """The referrals room's audit events (referral.created with the body, referral.answered)
    are what the reports read: the case's counts move to the body, and the referral has a fact."""
    case = desk.inbound(now=T0).case
    rollup.catch_up(now=T0)

    class Referral:  # the shape events.record reads from an object: its model name and pk
        pk = 41

        class _meta:
            model_name = "referral"

    events.record(workspace_id=desk.bpn.pk, actor=desk.ani.user, action="referral.created",
                  now=T0 + timedelta(hours=1), case=case, obj=Referral,
                  after={"body": "PLN UP3 Balikpapan", "body_id": 7,
                         "follow_up_due_at": (T0 + timedelta(days=7)).isoformat()})
    events.record(workspace_id=desk.bpn.pk, actor=None, action="referral.answered",
                  now=T0 + timedelta(days=2), case=case, obj=Referral,
                  after={"status": "selesai"})
    rollup.catch_up(now=T0 + timedelta(days=2))

    assert totals(body_id=7) == {"opened": 1, "messages_in": 1, "referred": 1}
    assert totals(body_id=0) == {}
    fact = ReferralFact.objects.get(referral_id=41)
    assert (fact.body_name, fact.status, fact.case_id) == ("PLN UP3 Balikpapan", "selesai", case.pk)
    assert fact.closed_at == T0 + timedelta(days=2) == fact.acknowledged_at


@pytest.mark.django_db(transaction=True)
def test_an_id_committed_late_is_read_when_it_appears(tx_desk):
    """On PostgreSQL a slower transaction can commit an id below the cursor: the feed keeps the
    skipped id and reads it when it shows up."""
    desk = tx_desk
    first = desk.inbound(now=T0)
    rollup.catch_up(now=T0)
    cursor = feed.cursor(rollup.FEED)
    # Pretend the reader saw an id two ahead, skipping one that was still in flight.
    missing = cursor.last_id + 1
    cursor.last_id = missing
    cursor.gaps = {str(missing): T0.timestamp()}
    cursor.save()
    second = desk.inbound(external_id="late", author_id="w9", now=T0)
    assert AuditEvent.objects.filter(pk=missing, case=second.case).exists()
    rollup.catch_up(now=T0 + timedelta(seconds=5))
    assert CaseFact.objects.filter(case_id__in=[first.case.pk, second.case.pk]).count() == 2
    assert feed.cursor(rollup.FEED).gaps == {}


def test_a_gap_never_filled_is_given_up(desk):
    desk.inbound(now=T0)
    rollup.catch_up(now=T0)
    cursor = feed.cursor(rollup.FEED)
    cursor.gaps = {"999999": T0.timestamp()}
    cursor.save()
    rollup.catch_up(now=T0 + timedelta(minutes=5))
    assert feed.cursor(rollup.FEED).gaps == {"999999": T0.timestamp()}
    rollup.catch_up(now=T0 + timedelta(minutes=11))
    assert feed.cursor(rollup.FEED).gaps == {}


def test_rebuild_gives_the_same_numbers(desk):
    case = desk.inbound(now=T0).case
    claim_case(case_id=case.pk, actor=desk.ani.user, now=T0)
    reply(desk, case, desk.ani, at=T0 + timedelta(minutes=5))
    rollup.catch_up(now=T0)
    before = sorted(DailyRollup.objects.values_list("day", "operator_id", "opened", "replies"))
    rollup.rebuild(now=T0)
    assert sorted(DailyRollup.objects.values_list("day", "operator_id", "opened",
                                                  "replies")) == before


def _sla(workspace_id, *counters, day=None) -> tuple:
    rows = RollupSlice.objects.filter(workspace_id=workspace_id, dimension="", value="")
    if day is not None:
        rows = rows.filter(day=day)
    sums = rows.aggregate(**{c: Sum(c) for c in counters})
    return tuple(sums[c] or 0 for c in counters)


def test_service_levels_met_and_breached_follow_the_policy_and_its_breaches(desk):
    from tanggap.sla import actions as sla_actions
    from tanggap.sla.checks import check_workspace
    from tanggap.workspaces.models import Membership

    admin = Membership.objects.get(workspace=desk.bpn, user=desk.sari.user)
    sla_actions.set_policy(membership=admin, actor=desk.sari.user, now=T0 - timedelta(days=1),
                           name="Standar", first_response=60, resolution=24 * 60)
    fast = desk.inbound(text="Lampu jalan di Jl. Sudirman mati", now=T0).case
    slow = desk.inbound(text="Sampah di TPS Klandasan menumpuk", external_id="m2",
                        author_id="warga2", now=T0).case
    late = desk.inbound(text="Jalan berlubang di depan pasar", external_id="m3",
                        author_id="warga3", now=T0).case
    for case in (fast, slow, late):
        claim_case(case_id=case.pk, actor=desk.ani.user, now=T0 + timedelta(minutes=1))
    reply(desk, fast, desk.ani, at=T0 + timedelta(minutes=30))
    # The late reply is read before the check notices it was late: met, then moved.
    reply(desk, late, desk.ani, at=T0 + timedelta(minutes=90), key="r3")
    rollup.catch_up(now=T0 + timedelta(minutes=91))
    assert _sla(desk.bpn.pk, "sla_first_met", "sla_first_breached") == (2, 0)

    check_workspace(workspace=desk.bpn, now=T0 + timedelta(hours=2))
    reply(desk, slow, desk.ani, at=T0 + timedelta(hours=3), key="r2")
    set_case_status(case_id=fast.pk, actor=desk.ani.user, status="selesai",
                    now=T0 + timedelta(hours=4))
    rollup.catch_up(now=T0 + timedelta(hours=4))

    assert AuditEvent.objects.filter(action="sla.breached").count() == 2
    assert _sla(desk.bpn.pk, "sla_first_met", "sla_first_breached", "sla_resolution_met",
                "sla_resolution_breached") == (1, 2, 1, 0)
    assert {f.case_id: f.sla_first for f in CaseFact.objects.all()} == {
        fast.pk: "met", slow.pk: "breached", late.pk: "breached"}
    # The topic's slice has its own share.
    topic = RollupSlice.objects.get(workspace_id=desk.bpn.pk, dimension="topic",
                                    value=CaseFact.objects.get(case_id=fast.pk).topic, day=T0.date())
    assert topic.sla_first_met == 1

    # A reopened case gives its met resolution back; the trail read again gives the same.
    set_case_status(case_id=fast.pk, actor=desk.ani.user, status="menunggu",
                    now=T0 + timedelta(hours=5))
    rollup.catch_up(now=T0 + timedelta(hours=5))
    assert _sla(desk.bpn.pk, "sla_resolution_met") == (0,)
    before = _sla(desk.bpn.pk, "sla_first_met", "sla_first_breached", "sla_resolution_met")
    rollup.rebuild(now=T0 + timedelta(hours=6))
    assert _sla(desk.bpn.pk, "sla_first_met", "sla_first_breached",
                "sla_resolution_met") == before


def test_without_a_policy_no_clock_is_counted(desk):
    case = desk.inbound(text="Lampu jalan di Jl. Sudirman mati", now=T0).case
    claim_case(case_id=case.pk, actor=desk.ani.user, now=T0)
    reply(desk, case, desk.ani, at=T0 + timedelta(hours=5))
    set_case_status(case_id=case.pk, actor=desk.ani.user, status="selesai",
                    now=T0 + timedelta(days=5))
    rollup.catch_up(now=T0 + timedelta(days=5))
    assert _sla(desk.bpn.pk, "sla_first_met", "sla_first_breached", "sla_resolution_met",
                "sla_resolution_breached") == (0, 0, 0, 0)


def test_the_pair_slices_backfilled_from_the_daily_rows_equal_the_counted_ones(desk):
    import importlib

    from django.apps import apps

    from tanggap.reports.models import PairSlice

    first = desk.inbound(text="Lampu jalan di Jl. Sudirman mati", now=T0).case
    desk.inbound(text="Terima kasih pak, mantap", author_id="w2", external_id="m2",
                 now=T0 + timedelta(days=1))
    claim_case(case_id=first.pk, actor=desk.ani.user, now=T0)
    reply(desk, first, desk.ani, at=T0 + timedelta(hours=1))
    set_case_status(case_id=first.pk, actor=desk.ani.user, status="selesai",
                    now=T0 + timedelta(days=2))
    rollup.catch_up(now=T0 + timedelta(days=2))

    def pairs():
        return {(p.dimension, p.value, p.day, p.by, p.by_value): (
            p.opened, p.messages_in, p.answered, p.thanks_in, p.claims, p.replies,
            p.first_responses, p.first_response_seconds, p.resolved, p.closed)
            for p in PairSlice.objects.all() if any((p.opened, p.messages_in, p.answered,
                                                     p.thanks_in, p.claims, p.replies,
                                                     p.resolved, p.closed))}

    counted = pairs()
    assert counted[("topic", "penerangan_jalan", T0.date(), "operator",
                    str(desk.ani.user.pk))][4:8] == (1, 1, 1, 3600)
    PairSlice.objects.all().delete()
    migration = importlib.import_module("tanggap.reports.migrations.0004_pair_slices")
    migration.pairs_from_the_daily_rows(apps, None)
    assert pairs() == counted


def test_the_thanks_backfilled_from_the_messages_equal_the_kept_ones(desk):
    import importlib

    from django.apps import apps

    from tanggap.reports.models import ThanksFact

    desk.inbound(text="Terima kasih pak, lampunya sudah menyala lagi. Mantap pelayanannya!",
                 now=T0)
    desk.inbound(text="Lampu jalan mati di Jl. Sudirman", author_id="w2", external_id="m2",
                 now=T0)
    rollup.catch_up(now=T0)

    def kept():
        return list(ThanksFact.objects.order_by("message_id").values_list(
            "message_id", "workspace_id", "case_id", "day", "platform", "length"))

    counted = kept()
    assert len(counted) == 1 and counted[0][3:] == (T0.date(), "web", 67)
    ThanksFact.objects.all().delete()
    importlib.import_module("tanggap.reports.migrations.0005_thanks_facts"
                            ).thanks_from_the_messages(apps, None)
    assert kept() == counted


def _every_rollup_row() -> dict:
    """Every roll-up table's rows, without their ids (a rebuild numbers them anew)."""
    tables = {}
    for table, (model, keys, counters) in rollup.ROLLUP_TABLES.items():
        tables[table] = sorted(model.objects.values_list(*keys, *counters))
    return tables


def _a_busy_morning(desk) -> None:
    for n in range(4):
        case = desk.inbound(text=f"Lampu jalan nomor {n} di Jl. Sudirman mati",
                            external_id=f"lamp-{n}", author_id=f"warga-{n}",
                            now=T0 + timedelta(minutes=n)).case
        operator = desk.ani if n % 2 else desk.budi
        claim_case(case_id=case.pk, actor=operator.user, now=T0 + timedelta(minutes=10 + n))
        reply(desk, case, operator, at=T0 + timedelta(minutes=20 + n), key=f"r{n}")


def test_no_transaction_of_the_rollup_adds_to_more_than_a_chunk_of_rows(desk, monkeypatch):
    # On SQLite a transaction holds the desk's one write lock: a batch's thousands of
    # additions must go in short transactions, or every claim meanwhile waits for them all.
    monkeypatch.setattr(rollup, "CHUNK_ROWS", 5)
    _a_busy_morning(desk)
    written = []  # (the transaction, rows), in the order written
    add = rollup._additions

    def counted(model, keys, counters, rows):
        written.append((connection.atomic_blocks[-1], len(rows)))
        add(model, keys, counters, rows)

    monkeypatch.setattr(rollup, "_additions", counted)
    rollup.catch_up(now=T0 + timedelta(hours=1))

    per_transaction = {}
    for block, n in written:
        per_transaction[id(block)] = per_transaction.get(id(block), 0) + n
    assert sum(per_transaction.values()) > 5 * 10  # the morning made many chunks' worth
    assert max(per_transaction.values()) <= 5
    assert not PendingAdditions.objects.exists()
    # Chunked or not, the numbers are those of a rebuild (one batch, the same chunks) and of
    # the report's own expectations.
    chunked = _every_rollup_row()
    assert totals(operator_id=0) == {"opened": 4, "messages_in": 4, "first_responses": 4,
                                     "answered": 4}
    assert totals(operator_id=desk.ani.user.pk) == {"claims": 2, "replies": 2,
                                                    "first_responses": 2}
    monkeypatch.setattr(rollup, "CHUNK_ROWS", 100_000)
    rollup.rebuild(now=T0 + timedelta(hours=1))
    assert _every_rollup_row() == chunked


class Killed(BaseException):
    """The process dying between two transactions of the roll-up."""


def test_a_crash_between_chunks_neither_loses_nor_doubles_a_count(desk, monkeypatch):
    monkeypatch.setattr(rollup, "CHUNK_ROWS", 5)
    _a_busy_morning(desk)
    add = rollup._additions
    calls = []

    def dies_at_the_third_chunk(model, keys, counters, rows):
        calls.append(len(rows))
        if len(calls) == 3:
            raise Killed()
        add(model, keys, counters, rows)

    monkeypatch.setattr(rollup, "_additions", dies_at_the_third_chunk)
    with pytest.raises(Killed):
        rollup.catch_up(now=T0 + timedelta(hours=1))
    # The batch itself committed (its facts, its cursor and the chunks still to apply); two
    # chunks were applied, the third's transaction rolled back.
    assert feed.backlog(rollup.FEED) == 0
    left = PendingAdditions.objects.count()
    assert left > 1

    monkeypatch.setattr(rollup, "_additions", add)
    rollup.catch_up(now=T0 + timedelta(hours=1))  # the next run (the periodic job, a report)
    assert not PendingAdditions.objects.exists()
    settled = _every_rollup_row()
    monkeypatch.setattr(rollup, "CHUNK_ROWS", 100_000)
    rollup.rebuild(now=T0 + timedelta(hours=1))
    assert _every_rollup_row() == settled


def test_a_chunk_another_settler_applied_is_not_applied_again(desk, monkeypatch):
    monkeypatch.setattr(rollup, "CHUNK_ROWS", 5)
    _a_busy_morning(desk)
    monkeypatch.setattr(rollup, "settle", lambda: 0)  # leave every chunk pending
    rollup.catch_up(now=T0 + timedelta(hours=1))
    monkeypatch.setattr(rollup, "settle", settle)
    chunk = PendingAdditions.objects.order_by("pk").first()
    assert rollup.apply_chunk(chunk)  # another settler
    assert not rollup.apply_chunk(chunk)  # this one, which had read it too
    rollup.settle()
    settled = _every_rollup_row()
    monkeypatch.setattr(rollup, "CHUNK_ROWS", 100_000)
    rollup.rebuild(now=T0 + timedelta(hours=1))
    assert _every_rollup_row() == settled


def test_the_rollup_commits_without_an_fsync_of_its_own(desk, monkeypatch):
    # Its transactions follow the trail, which is durable already (tanggap.conf.sqlite.durability):
    # on SQLite their fsyncs made every claim wait behind them.
    inside = []
    real_settle = rollup.settle

    @contextlib.contextmanager
    def recorded():
        inside.append(True)
        yield
        inside.append(False)

    def settle():
        inside.append("settle inside" if inside.count(True) > inside.count(False)
                      else "settle outside")
        return real_settle()

    monkeypatch.setattr(rollup, "without_fsync", recorded)
    monkeypatch.setattr(rollup, "settle", settle)
    desk.inbound(now=T0)
    rollup.catch_up(now=T0)
    # settle before the batch, and after it (from feed.read): both inside
    assert inside == [True, "settle inside", "settle inside", False]
