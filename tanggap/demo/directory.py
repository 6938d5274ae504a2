"""The demo desk's directory of responsible bodies: Balikpapan's own offices (SKPD) and the
outside partners a city desk passes matters to, with the triage topics each answers for, and the
liaison officers' accounts of PLN and the water company, whom the simulated liaison plays.

The offices' and companies' names are the public names of Balikpapan's bodies; their e-mail
addresses are made up under the reserved `.example` domain (RFC 2606), and no telephone or
WhatsApp number is given: a demo must never send anything to a real inbox or phone. Written by
the referrals room's actions (add_body, add_body_liaison), so the demo has the same audit trail
as a real desk. Idempotent: a body or account that exists is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tanggap.referrals.actions import BodyFields, add_body, add_body_liaison
from tanggap.referrals.models import Body
from tanggap.workspaces.models import Membership, Workspace

OFFICE_HOURS = "Senin–Kamis 07.30–16.00, Jumat 07.30–11.00 WITA"


@dataclass(frozen=True)
class DemoBody:
    name: str
    kind: str
    topics: tuple[str, ...] = ()
    email: str = ""
    liaison_officers: tuple[str, ...] = ()
    working_hours: str = OFFICE_HOURS
    # Its own limits in working days, when it keeps other ones than SP4N-LAPOR!'s 3 and 5.
    acknowledge_days: int | None = None
    follow_up_days: int | None = None


PLN = "PLN UP3 Balikpapan"
PTMB = "Perumda Tirta Manuntung Balikpapan"
TELKOM = "Telkom Witel Balikpapan"
DPUPR = "Dinas Pekerjaan Umum dan Penataan Ruang (DPUPR)"
DLH = "Dinas Lingkungan Hidup (DLH)"
DISHUB = "Dinas Perhubungan (Dishub)"
BPBD = "Badan Penanggulangan Bencana Daerah (BPBD)"

DEMO_BODIES = (
    # The city's own offices (SKPD).
    DemoBody(DPUPR, "internal", ("jalan", "drainase_banjir"), "pengaduan@dpupr.balikpapan.example",
             ("Sekretariat DPUPR, subbag umum",)),
    DemoBody("Dinas Kesehatan", "internal", ("kesehatan",), "pengaduan@dinkes.balikpapan.example"),
    DemoBody("Dinas Kependudukan dan Pencatatan Sipil (Disdukcapil)", "internal", ("adminduk",),
             "layanan@disdukcapil.balikpapan.example"),
    DemoBody("Dinas Sosial", "internal", ("sosial_bansos",), "pengaduan@dinsos.balikpapan.example"),
    DemoBody(DLH, "internal", ("sampah_kebersihan", "lingkungan_taman"),
             "pengaduan@dlh.balikpapan.example", ("Bidang Pengelolaan Sampah",)),
    DemoBody(DISHUB, "internal", ("lalu_lintas_parkir", "penerangan_jalan"),
             "pengaduan@dishub.balikpapan.example", ("UPT Penerangan Jalan Umum",)),
    DemoBody("Satuan Polisi Pamong Praja (Satpol PP)", "internal", ("ketertiban_umum",),
             "pengaduan@satpolpp.balikpapan.example", working_hours="24 jam"),
    DemoBody(BPBD, "internal", ("bencana_darurat",),
             "pusdalops@bpbd.balikpapan.example", ("Pusdalops BPBD",), working_hours="24 jam",
             acknowledge_days=1, follow_up_days=2),
    DemoBody("Dinas Pendidikan dan Kebudayaan (Disdikbud)", "internal", ("pendidikan",),
             "pengaduan@disdikbud.balikpapan.example"),
    DemoBody("Dinas Perumahan dan Permukiman (Disperkim)", "internal",
             ("perumahan_pertanahan",), "pengaduan@disperkim.balikpapan.example"),
    DemoBody("Dinas Tenaga Kerja (Disnaker)", "internal", ("ketenagakerjaan",),
             "pengaduan@disnaker.balikpapan.example"),
    DemoBody("Kelurahan Klandasan Ilir", "internal", (),
             "kelurahan.klandasanilir@balikpapan.example"),
    DemoBody("Kelurahan Gunung Sari Ilir", "internal", (),
             "kelurahan.gunungsariilir@balikpapan.example"),
    # Outside partners.
    DemoBody(PLN, "external", ("listrik",), "pengaduan@pln-up3-balikpapan.example",
             ("Humas PLN UP3 Balikpapan",), working_hours="Posko gangguan 24 jam"),
    DemoBody(PTMB, "external", ("air_bersih",), "pengaduan@ptmb.example",
             ("Humas PTMB",), acknowledge_days=2, follow_up_days=4),
    DemoBody("BPJS Kesehatan Cabang Balikpapan", "external", (),
             "pengaduan@bpjs-balikpapan.example"),
    DemoBody(TELKOM, "external", (), "pengaduan@telkom-balikpapan.example"),
    DemoBody("Polresta Balikpapan", "external", (), "humas@polresta-balikpapan.example",
             working_hours="24 jam"),
)


@dataclass(frozen=True)
class DemoLiaison:
    username: str
    full_name: str
    body: str


# The two bodies the simulated liaison answers for, each with an account of its own.
DEMO_LIAISONS = (
    DemoLiaison("penghubung-pln", "Humas PLN UP3 Balikpapan (demo)", PLN),
    DemoLiaison("penghubung-ptmb", "Humas PTMB (demo)", PTMB),
)


def ensure_directory(workspace: Workspace, *, now: datetime) -> int:
    """Add the bodies the directory lacks; return how many were added."""
    have = set(Body.objects.filter(workspace=workspace).values_list("name", flat=True))
    added = 0
    for spec in DEMO_BODIES:
        if spec.name in have:
            continue
        add_body(workspace_id=workspace.pk, actor=None, now=now, fields=BodyFields(
            name=spec.name, kind=spec.kind, topics=list(spec.topics),
            emails=[spec.email] if spec.email else [],
            liaison_officers=list(spec.liaison_officers), working_hours=spec.working_hours,
            acknowledge_days=spec.acknowledge_days, follow_up_days=spec.follow_up_days))
        added += 1
    return added


def ensure_liaisons(workspace: Workspace, *, password: str, now: datetime) -> list[str]:
    """Create the liaison accounts that do not exist yet; return their usernames."""
    created = []
    for spec in DEMO_LIAISONS:
        body = Body.objects.filter(workspace=workspace, name=spec.body).first()
        if body is None or Membership.objects.filter(workspace=workspace,
                                                     user__username=spec.username).exists():
            continue
        add_body_liaison(body_id=body.pk, username=spec.username, full_name=spec.full_name,
                         password=password, actor=None, now=now)
        created.append(spec.username)
    return created
