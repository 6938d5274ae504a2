"""The demo's referrals: Balikpapan's directory, the liaison accounts, a seeded inbox with
referrals the simulated liaison has answered, misplaced complaints that get PLN or the water
company suggested, and the simulated liaison stepping beside the citizens."""

import random
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tanggap.cases.actions import claim_case, ingest_inbound
from tanggap.cases.language import TOPIC_LABELS
from tanggap.cases.models import Case, CaseStatus
from tanggap.connectors.models import ChannelAccount
from tanggap.demo import texts
from tanggap.demo.actions import DEMO_PASSWORD, DEMO_SLUG
from tanggap.demo.directory import BPBD, DEMO_BODIES, DEMO_LIAISONS, PLN, PTMB, TELKOM
from tanggap.demo.liaison import SimulatedLiaison
from tanggap.demo.simulator import Simulator, run
from tanggap.referrals.actions import refer_case
from tanggap.referrals.models import Body, Referral, ReferralUpdate
from tanggap.referrals.suggest import suggest_body
from tanggap.workspaces.models import Membership, Workspace


def _setup(*args) -> str:
    out = StringIO()
    call_command("demo_setup", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_demo_has_balikpapans_directory_and_the_liaison_accounts():
    output = _setup("--no-seed")
    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    bodies = {b.name: b for b in Body.objects.filter(workspace=workspace)}
    assert set(bodies) == {spec.name for spec in DEMO_BODIES}
    assert bodies[PLN].topics == ["listrik"] and bodies[PLN].kind == "external"
    assert bodies[PTMB].topics == ["air_bersih"]
    assert (bodies[PTMB].acknowledge_days, bodies[PTMB].follow_up_days) == (2, 4)
    # Made-up addresses only: a demo never writes to a real inbox.
    assert all(address.endswith(".example") for b in bodies.values() for address in b.emails)
    for spec in DEMO_LIAISONS:
        member = Membership.objects.get(workspace=workspace, user__username=spec.username)
        assert member.role == "liaison" and member.user.check_password(DEMO_PASSWORD)
        assert list(bodies[spec.body].liaisons.values_list("username", flat=True)) == \
            [spec.username]
        assert f"{spec.username:<10} {'liaison':<11} {DEMO_PASSWORD}" in output
    assert f"Directory: {len(DEMO_BODIES)} responsible bodies ({len(DEMO_BODIES)} added)" \
        in output
    again = _setup("--no-seed")
    assert Body.objects.filter(workspace=workspace).count() == len(DEMO_BODIES)
    assert f"Directory: {len(DEMO_BODIES)} responsible bodies (exist)" in again


@pytest.mark.django_db
def test_the_seeded_inbox_has_referrals_the_simulated_liaison_answered():
    output = _setup()
    referrals = Referral.objects.select_related("body", "case")
    assert referrals.count() > 0
    assert {r.case.status for r in referrals if r.is_open} == {CaseStatus.DITERUSKAN}
    answered = ReferralUpdate.objects.exclude(status="terkirim")
    assert answered.exists()
    # PLN's and the water company's answers come from their liaison accounts.
    officers = {spec.body: spec.username for spec in DEMO_LIAISONS}
    for update in answered.select_related("referral__body", "author"):
        expected = officers.get(update.referral.body.name)
        if expected:
            assert update.author.username == expected
        else:
            assert update.author is None and update.author_label.endswith("(simulasi)")
    # Every referred citizen heard it in the same step, on their own thread.
    for referral in referrals:
        assert referral.case.messages.filter(direction="out").exists()
    assert not Referral.objects.filter(created_at__gt=timezone.now()).exists()
    assert f"Referrals: {referrals.count()} (" in output


@pytest.mark.django_db
def test_the_simulators_misplaced_complaints_get_pln_or_the_water_company_suggested():
    _setup("--no-seed")
    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    channel = ChannelAccount.objects.get(workspace=workspace, platform="web")
    rng = random.Random(8)
    owners = {"PLN": PLN, "PDAM": PTMB}
    misplaced = [base for base in texts.BASE_TEXTS if base.owner]
    assert {base.owner for base in misplaced} == set(owners)
    now = timezone.now()
    # An exploding transformer reads as an emergency first: BPBD's, which is not wrong.
    emergencies = {"trafo di {jalan} meledak tadi malam, sampai skrg {kelurahan} gelap"}
    for i, base in enumerate(misplaced):
        case = ingest_inbound(channel=channel, external_id=f"mis-{i}", author_id=f"w{i}",
                              author_name="Warga", text=texts.fill(base.text, rng), now=now).case
        suggestion = suggest_body(case)
        expected = (BPBD if base.text in emergencies else owners[base.owner])
        assert suggestion is not None and suggestion.body.name == expected, base.text
        assert suggestion.reason == f"{expected} menangani {TOPIC_LABELS[case.topic]}."


@pytest.mark.django_db
def test_the_simulated_liaison_answers_step_by_step_and_sometimes_declines():
    _setup("--no-seed")
    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    channel = ChannelAccount.objects.get(workspace=workspace, platform="web")
    dewi = Membership.objects.get(workspace=workspace, user__username="dewi").user
    t0 = timezone.now() - timedelta(hours=2)

    def referred(body_name, n):
        case = ingest_inbound(channel=channel, external_id=f"r-{n}", author_id=f"w{n}",
                              author_name="Warga", text="listrik padam di Sepinggan", now=t0).case
        claim_case(case_id=case.pk, actor=dewi, now=t0)
        body = Body.objects.get(workspace=workspace, name=body_name)
        return refer_case(case_id=case.pk, body_id=body.pk, actor=dewi, membership=None,
                          now=t0).referral

    referral = referred(PTMB, 1)
    liaison = SimulatedLiaison(workspace_id=workspace.pk, rng=random.Random(1), rate=1.0)
    # Not yet its turn: a body does not answer within `wait` of the last step.
    assert liaison.step(now=t0 + timedelta(minutes=1)) is None
    statuses = []
    at = t0
    for _ in range(3):
        at += timedelta(minutes=5)
        statuses.append(liaison.step(now=at).status)
    assert statuses == ["diterima", "diproses", "selesai"]
    assert liaison.step(now=at + timedelta(hours=1)) is None  # settled: nothing left to answer
    referral.refresh_from_db()
    assert referral.status == "selesai"
    final = referral.updates.order_by("-id").first()
    assert final.author.username == "penghubung-ptmb" and final.draft
    assert Case.objects.get(pk=referral.case_id).status == CaseStatus.DITERUSKAN

    declining = SimulatedLiaison(workspace_id=workspace.pk, rng=random.Random(2), rate=1.0,
                                 decline_rate=1.0)
    pln = referred(PLN, 2)
    update = declining.step(now=at + timedelta(minutes=5))
    assert (update.status, update.suggested_body.name) == ("bukan_wewenang", TELKOM)
    pln.refresh_from_db()
    assert pln.status == "bukan_wewenang"
    # Back to the desk; dewi's lease ran out long ago, so it waits for anyone.
    assert Case.objects.get(pk=pln.case_id).status == CaseStatus.BARU


@pytest.mark.django_db
def test_the_simulate_loop_gives_the_liaison_a_turn_after_each_message():
    _setup("--no-seed")
    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    channels = list(ChannelAccount.objects.filter(workspace=workspace, simulated=True))
    turns = []
    clock = iter(timezone.now() + timedelta(seconds=i) for i in range(10))
    posted = run(Simulator(channels=channels, rng=random.Random(3)), interval=0,
                 stop=threading.Event(), clock=lambda: next(clock), count=3,
                 also=turns.append)
    assert posted == 3 and len(turns) == 3
    out = StringIO()
    call_command("simulate", "--interval", "0", "--count", "2", "--seed", "5", stdout=out)
    assert out.getvalue().splitlines()[-1] == "Simulator stopped after 2 messages."
