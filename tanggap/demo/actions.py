"""Setting up the demo desk: the Balikpapan workspace, its team, its channels, its directory of
responsible bodies and a lived-in inbox.

Every row is written by the owning app's actions (create_workspace, add_member, add_channel,
ingest_inbound, claim_case, send_reply, set_case_kind, add_body, refer_case, record_body_answer),
so the demo has the same audit trail as a real desk. Idempotent: what already exists is reported
and left alone, never reset, so running it against a desk someone has been playing with does not
undo their work.

Never used for a real workspace: its passwords are printed for anyone to read.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from tanggap.cases.actions import claim_case, send_reply, set_case_kind
from tanggap.cases.models import Case, CaseStatus
from tanggap.connectors.actions.channels import add_channel
from tanggap.connectors.models import ChannelAccount
from tanggap.demo import texts
from tanggap.demo.directory import (
    DEMO_LIAISONS,
    DISHUB,
    DLH,
    DPUPR,
    PLN,
    PTMB,
    ensure_directory,
    ensure_liaisons,
)
from tanggap.demo.liaison import SimulatedLiaison
from tanggap.demo.simulator import Posted, Simulator
from tanggap.referrals.actions import refer_case
from tanggap.referrals.models import Body, Referral
from tanggap.replytemplates.actions import create_template
from tanggap.replytemplates.models import ReplyTemplate
from tanggap.workspaces.actions.logins import provision_totp
from tanggap.workspaces.actions.members import add_member
from tanggap.workspaces.actions.workspaces import create_workspace, set_approve_warn
from tanggap.workspaces.models import SECOND_FACTOR_ROLES, Membership, Workspace
from tanggap.workspaces.queries import totp_device

DEMO_SLUG = "balikpapan-demo"
DEMO_NAME = "Pemkot Balikpapan (demo)"
DEMO_PASSWORD = "tanggap-demo"


@dataclass(frozen=True)
class DemoMember:
    username: str
    role: str
    full_name: str
    note: str = ""


# The seed's team: four operators (two women, two men) under the head of PR & Protocol, plus
# the admin who configures the desk and an auditor who may only read.
DEMO_MEMBERS = (
    DemoMember("dewi", "operator", "Dewi Lestari"),
    DemoMember("rina", "operator", "Rina Marlina"),
    DemoMember("fajar", "operator", "Fajar Nugroho"),
    DemoMember("yusuf", "operator", "Yusuf Hidayat"),
    DemoMember("hendra", "supervisor", "Hendra Saputra", "Kabag Humas dan Protokol"),
    DemoMember("wahyu", "admin", "Wahyu Pratama"),
    DemoMember("ratna", "auditor", "Ratna Sari", "Inspektorat, read-only"),
)
OPERATORS = tuple(member.username for member in DEMO_MEMBERS if member.role == "operator")


@dataclass(frozen=True)
class DemoChannel:
    platform: str
    handle: str
    name: str
    simulated: bool


# Handles carry a "demo-" prefix: channel handles are unique across the whole installation,
# and a real workspace must be able to connect the real accounts later.
DEMO_CHANNELS = (
    DemoChannel("x", "demo-PemkotBPN", "@PemkotBPN", True),
    DemoChannel("facebook", "demo-pemerintah-kota-balikpapan", "Pemerintah Kota Balikpapan", True),
    DemoChannel("instagram", "demo-pemkotbpn", "@pemkotbpn", True),
    DemoChannel("web", "demo-web", "Formulir web (demo)", False),
    # WhatsApp Cloud API: the handle is the business number (a demo one, not a real line).
    DemoChannel("whatsapp", "demo-628115550100", "WhatsApp Pemkot (demo)", True),
)

# What the demo's operators refer, by the demo texts' topic: the misplaced complaints (PLN, the
# water company) and the matters the replies say are passed to a city office.
REFER_TO = {"listrik": PLN, "air": PTMB, "jalan": DPUPR, "banjir": DPUPR, "sampah": DLH,
            "pju": DISHUB}

# Canned replies the demo's supervisor wrote: (name, text, topics, intents). Each passes the tone
# guard; the fields are filled per case when an operator inserts one with `/` in the reply box.
DEMO_TEMPLATES = (
    ("Terima kasih atas apresiasi",
     "Terima kasih banyak, {nama}, atas apresiasinya. Kami sampaikan kepada dinas terkait agar "
     "menjadi semangat bagi petugas di lapangan. Salam, {operator} - Humas Pemkot Balikpapan.",
     [], ["apresiasi"]),
    ("Lampu jalan padam",
     "Terima kasih laporannya, {nama}. Laporan lampu jalan Anda (nomor {nomor_laporan}) sudah "
     "kami teruskan ke Dinas Perhubungan untuk diperbaiki. Kami kabari perkembangannya di sini.",
     ["penerangan_jalan"], ["aduan"]),
    ("Listrik padam: wewenang PLN",
     "Mohon maaf atas ketidaknyamanannya, {nama}. Gangguan listrik ditangani PLN UP3 Balikpapan; "
     "laporan Anda (nomor {nomor_laporan}) sudah kami teruskan ke sana. Untuk gangguan darurat "
     "Bapak/Ibu juga dapat menghubungi PLN di nomor 123.",
     ["listrik"], ["aduan"]),
    ("Sudah diteruskan ke instansi",
     "Terima kasih, {nama}. Laporan Anda (nomor {nomor_laporan}) sudah kami teruskan ke "
     "{instansi}; jawabannya kami tunggu paling lambat {tenggat} dan akan kami sampaikan kepada "
     "Bapak/Ibu.",
     [], ["aduan"]),
    ("Mohon lokasi lengkap",
     "Terima kasih laporannya, {nama}. Agar dapat segera ditindaklanjuti, mohon kirimkan alamat "
     "lengkap atau titik lokasinya. Nomor laporan Anda {nomor_laporan}.",
     [], ["aduan", "pertanyaan"]),
    ("Tetap melayani dengan baik",
     "Mohon maaf atas ketidaknyamanan yang Bapak/Ibu alami. Kami ingin membantu: mohon "
     "sampaikan lokasi dan keluhannya, dan kami teruskan ke dinas terkait hari ini. "
     "Salam, {operator}.",
     [], ["aduan"]),
)

SEED_MESSAGES = 32
SEED_RANDOM = 2016  # any fixed number gives a stable inbox
SEED_SPAN = timedelta(hours=6)


@dataclass
class DemoReport:
    workspace: Workspace
    workspace_created: bool
    members: list[tuple[DemoMember, str]] = field(default_factory=list)  # (member, outcome)
    # username -> (authenticator key in hex, recovery codes) for the second factors made now
    second_factors: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    channels: list[tuple[ChannelAccount, bool]] = field(default_factory=list)  # (channel, new)
    bodies_added: int = 0
    liaisons_created: list[str] = field(default_factory=list)
    seeded_messages: int = 0
    existing_cases: int = 0
    roster_created: bool = False
    templates_added: int = 0
    history: object = None  # a demo.history.HistoryReport when a year of history was asked for


class DemoConflict(Exception):
    """Something in the way of the demo that the demo must not touch."""


def setup_demo(*, now: datetime, password: str = DEMO_PASSWORD, seed: bool = True,
               history: bool = False) -> DemoReport:
    workspace = Workspace.objects.filter(slug=DEMO_SLUG).first()
    # Refuse before writing anything, so a conflict never leaves half a demo behind.
    _check_conflicts(workspace)
    report = DemoReport(workspace=workspace, workspace_created=workspace is None)
    if workspace is None:
        report.workspace = workspace = create_workspace(slug=DEMO_SLUG, name=DEMO_NAME, now=now)
    for member in DEMO_MEMBERS:
        report.members.append((member, _ensure_member(workspace, member, password, now)))
        if member.role in SECOND_FACTOR_ROLES:
            _ensure_second_factor(report, member, now)
    for spec in DEMO_CHANNELS:
        report.channels.append(_ensure_channel(workspace, spec, now))
    report.bodies_added = ensure_directory(workspace, now=now)
    report.liaisons_created = ensure_liaisons(workspace, password=password, now=now)
    report.roster_created = _ensure_roster(workspace, now)
    report.templates_added = _ensure_templates(workspace, now)
    if not workspace.approve_warn:
        # Replies the tone guard warns about wait for the supervisor (hendra): try it.
        set_approve_warn(slug=workspace.slug, on=True, now=now)
    report.existing_cases = Case.objects.filter(workspace=workspace).count()
    # Seed only an empty inbox: a second run must not pile new cases on the ones people worked.
    if seed and report.existing_cases == 0:
        report.seeded_messages = seed_cases(workspace=workspace, now=now)
    if history:
        # A year before the seeded inbox, for the reports and the transparency page; once.
        from tanggap.demo.history import generate_history

        report.history = generate_history(workspace=workspace, now=now)
    return report


def _check_conflicts(workspace: Workspace | None) -> None:
    members = Membership.objects.filter(workspace=workspace).values_list("user__username")
    usernames = [m.username for m in DEMO_MEMBERS] + [m.username for m in DEMO_LIAISONS]
    strangers = (
        get_user_model().objects.filter(username__in=usernames)
        .exclude(username__in=members)
        .values_list("username", flat=True)
    )
    for username in strangers:
        # Someone already uses this name: adding them to the demo would give a real person a
        # demo login they did not ask for, under a password we could not tell them.
        raise DemoConflict(
            f"user {username!r} already exists outside the demo workspace; "
            "remove or rename that user, or use a fresh database for the demo"
        )
    for spec in DEMO_CHANNELS:
        owner = (ChannelAccount.objects.filter(platform=spec.platform, handle=spec.handle)
                 .values_list("workspace_id", flat=True).first())
        if owner is not None and (workspace is None or owner != workspace.pk):
            raise DemoConflict(
                f"the {spec.platform} channel {spec.handle!r} belongs to another workspace"
            )


def _ensure_member(workspace: Workspace, member: DemoMember, password: str, now) -> str:
    if Membership.objects.filter(workspace=workspace, user__username=member.username).exists():
        return "exists"
    add_member(workspace=workspace, username=member.username, role=member.role,
               password=password, full_name=member.full_name, now=now)
    return "created"


def _ensure_second_factor(report: DemoReport, member: DemoMember, now) -> None:
    """The demo's supervisor and admin log in with a second factor like everyone's: the demo makes
    their authenticator secret and recovery codes and prints them (never on a real desk)."""
    user = get_user_model().objects.get(username=member.username)
    if totp_device(user) is None:
        report.second_factors[member.username] = provision_totp(user_id=user.pk, actor=None,
                                                                now=now)


# The seed's team around the clock in WITA: three shifts, nights and weekends shared, the head of
# PR on call at weekends; SLA clocks for a 24-hour desk, and working hours for complaints.
DEMO_ZONE = "Asia/Makassar"
DEMO_SHIFTS = (("Pagi", "07:00", "15:00"), ("Sore", "15:00", "23:00"), ("Malam", "23:00", "07:00"))
DEMO_PATTERN = (  # (username, shift, weekdays 0=Monday, duty)
    ("dewi", "Pagi", (0, 1, 2, 3, 4, 6), "desk"),
    ("rina", "Sore", (0, 1, 2, 3, 4), "desk"),
    ("rina", "Pagi", (5,), "desk"),
    ("fajar", "Malam", (6, 0, 1, 2, 3), "desk"),
    ("yusuf", "Malam", (4, 5), "desk"),
    ("yusuf", "Sore", (5, 6), "desk"),
    ("hendra", "Pagi", (5, 6), "on_call"),
)


def _ensure_roster(workspace: Workspace, now) -> bool:
    """Shifts, the weekly pattern, fair assignment and two SLA policies, once: a desk whose
    roster someone already changed is left alone."""
    from datetime import time

    from tanggap.roster.actions import assignment
    from tanggap.roster.actions import roster as roster_actions
    from tanggap.roster.models import Shift
    from tanggap.sla import actions as sla_actions
    from tanggap.workspaces.calendars import set_calendar

    if Shift.objects.filter(workspace=workspace).exists():
        return False
    set_calendar(workspace_id=workspace.pk, actor=None, now=now, time_zone=DEMO_ZONE)
    workspace.refresh_from_db()
    membership = Membership(workspace=workspace, role="admin")
    shifts = {name: roster_actions.add_shift(membership=membership, actor=None, name=name,
                                             starts=start, ends=end, now=now).pk
              for name, start, end in DEMO_SHIFTS}
    for username, shift, weekdays, kind in DEMO_PATTERN:
        roster_actions.set_pattern(membership=membership, actor=None, username=username,
                                   shift_id=shifts[shift], weekdays=list(weekdays), kind=kind,
                                   now=now)
    assignment.configure(membership=membership, actor=None, now=now, fair_assignment=True,
                         default_capacity=8)
    sla_actions.set_policy(membership=membership, actor=None, now=now, name="Standar 24 jam",
                           first_response=60, next_response=120, resolution=3 * 24 * 60)
    sla_actions.set_policy(membership=membership, actor=None, now=now,
                           name="Aduan (jam kerja)", kind="aduan", first_response=4 * 60,
                           next_response=4 * 60, resolution=5 * 8 * 60, hours="working",
                           working_start=time(8), working_end=time(16))
    return True


def _ensure_templates(workspace: Workspace, now) -> int:
    """The supervisor's canned replies, those missing by name; the ones the desk changed stay."""
    supervisor = Membership.objects.select_related("user").get(
        workspace=workspace, user__username="hendra")
    have = set(ReplyTemplate.objects.filter(workspace=workspace).values_list("name", flat=True))
    added = 0
    for name, text, topics, intents in DEMO_TEMPLATES:
        if name not in have:
            create_template(membership=supervisor, actor=supervisor.user, name=name, text=text,
                            topics=topics, intents=intents, now=now)
            added += 1
    return added


def _ensure_channel(workspace: Workspace, spec: DemoChannel, now) -> tuple[ChannelAccount, bool]:
    channel = ChannelAccount.objects.filter(platform=spec.platform, handle=spec.handle).first()
    if channel is not None:
        return channel, False  # _check_conflicts made sure it is the demo's
    channel = add_channel(workspace=workspace, platform=spec.platform, handle=spec.handle,
                          name=spec.name, simulated=spec.simulated, now=now)
    return channel, True


# ---------------------------------------------------------------------------------------------
# A lived-in inbox


def seed_cases(*, workspace: Workspace, now: datetime, messages: int = SEED_MESSAGES) -> int:
    """Replay the last few hours of a desk: citizens write, operators claim and answer.

    Events run in time order (a small event queue), so a citizen's follow-up after an answer
    really reopens the case, as it would have live. Older cases were mostly answered; the newest
    are claimed or still waiting, so a newcomer sees every state of the inbox. Nothing is dated
    after `now`.
    """
    rng = random.Random(SEED_RANDOM)
    channels = list(ChannelAccount.objects.filter(workspace=workspace).order_by("pk"))
    # Fewer follow-ups than live, so the first inbox shows ~25 distinct conversations.
    simulator = Simulator(channels=channels, rng=rng, hint_rate=0.7, follow_up_rate=0.15)
    team = {user.username: user for user in get_user_model().objects.filter(
        username__in=OPERATORS, memberships__workspace=workspace)}
    bodies = {b.name: b for b in Body.objects.filter(workspace=workspace, active=True)}
    liaison = SimulatedLiaison(workspace_id=workspace.pk, rng=rng)
    start = now - SEED_SPAN
    step = SEED_SPAN / (messages + 1)
    queue: list = []
    order = itertools.count()  # ties in time keep their scheduling order

    def schedule(at: datetime, event) -> None:
        if at <= now:
            heapq.heappush(queue, (at, next(order), event))

    # A rant under a post on Facebook and one on Instagram, left for the visitor to answer well
    # and to hide on the platform; they count among the seeded messages.
    commented = [c for c in channels if c.platform in ("facebook", "instagram")][:messages]
    for index, channel in enumerate(commented):
        schedule(now - SEED_SPAN / (3 + index), ("abusive", channel))
    for index in range(messages - len(commented)):
        arrival = start + step * (index + 1) + timedelta(seconds=rng.randint(0, 300))
        schedule(min(arrival, now), ("inbound", None))
    while queue:
        at, _, (what, payload) = heapq.heappop(queue)
        if what == "abusive":
            simulator.abusive_comment(payload, now=at)
        elif what == "inbound":
            posted = simulator.step(now=at)
            # A new message can still join its author's open case on the same thread (a second
            # comment under one post): only a case it opened gets the team's plan.
            if posted.result.created and not posted.follow_up \
                    and posted.result.case.created_at == at:
                _plan_operator(posted, at, now, rng, team, schedule)
        elif what == "claim":
            posted, operator = payload
            claim_case(case_id=posted.result.case.pk, actor=operator, now=at)
            # Arrived without a kind hint (see hint_rate): the operator triages it on claiming.
            if posted.result.case.kind != posted.base.kind:
                set_case_kind(case_id=posted.result.case.pk, actor=operator,
                              kind=posted.base.kind, now=at)
        elif what == "reply":
            posted, operator = payload
            case = Case.objects.get(pk=posted.result.case.pk)
            if case.claimed_by_id != operator.pk or case.status in (
                CaseStatus.SELESAI, CaseStatus.DITUTUP
            ):
                continue
            body = bodies.get(REFER_TO.get(posted.base.topic, ""))
            if body is None:
                send_reply(case_id=case.pk, actor=operator, text=texts.reply_for(posted.base),
                           idempotency_key=f"demo-seed-{case.pk}", base_version=case.version,
                           now=at)
                continue
            # A matter of PLN, the water company or a city office: referred, and the citizen
            # told in the same step; the body answers over the next hours (some not yet).
            referral = refer_case(
                case_id=case.pk, body_id=body.pk, actor=operator, membership=None, now=at,
                note="Mohon ditindaklanjuti; warga menunggu kabar.",
                idempotency_key=f"demo-seed-{case.pk}",
                citizen_reply=texts.reply_for(posted.base)).referral
            answer_at = at
            for _step in range(3):
                answer_at += timedelta(minutes=rng.randint(15, 75))
                schedule(answer_at, ("answer", referral.pk))
        elif what == "answer":
            referral = Referral.objects.select_related("body").get(pk=payload)
            if referral.is_open:
                liaison.answer(referral, now=at)
    return messages


def _plan_operator(posted: Posted, arrived: datetime, now: datetime, rng: random.Random,
                   team: dict, schedule) -> None:
    """Decide what the team did with a new case: answered, still working, or not yet seen."""
    age = now - arrived
    if not team or age < timedelta(minutes=2):
        return
    operator = team[rng.choice(sorted(team))]
    claim_at = arrived + timedelta(minutes=rng.randint(1, min(10, int(age.total_seconds() // 60))))
    fate = rng.random()
    if age > timedelta(hours=1) and fate < 0.75:
        schedule(claim_at, ("claim", (posted, operator)))
        # Within the 15-minute lease, so the holder still holds the case when answering.
        schedule(claim_at + timedelta(minutes=rng.randint(1, 8)), ("reply", (posted, operator)))
    elif age < timedelta(minutes=40) and fate < 0.6:
        # Claimed moments ago, so the lease still runs when the newcomer opens the inbox.
        recent_claim = max(arrived, now - timedelta(minutes=rng.randint(0, 5)))
        schedule(recent_claim, ("claim", (posted, operator)))
