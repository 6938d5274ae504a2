"""The demo's simulated liaison officers: the people at PLN, the water company and a few city
offices who answer the desk's referrals, so a demo shows the loop closing without anyone playing
the body by hand.

It answers only as a body would, through the referrals room's own action
(`record_body_answer`), as the body's liaison account when it has one: it acknowledges a new
referral, reports progress, then the result; now and then PLN declines a matter that is not its
own and names the body it belongs to. It waits a while between steps, as a body does, and it
never touches the desk's side (claims, replies, the citizen).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from tanggap.demo.directory import DISHUB, DLH, DPUPR, PLN, PTMB, TELKOM
from tanggap.referrals.actions import record_body_answer
from tanggap.referrals.models import (
    OPEN_REFERRAL_STATUSES,
    Body,
    Referral,
    ReferralStatus,
    ReferralUpdate,
)

# What each simulated body says at each step (the public part of its answer).
ANSWERS: dict[str, dict[str, tuple[str, ...]]] = {
    PLN: {
        ReferralStatus.DIPROSES: (
            "Petugas pelayanan teknik PLN sedang menuju lokasi untuk memeriksa jaringan.",
            "Gangguan sudah tercatat di posko PLN; regu pemeliharaan dijadwalkan hari ini.",
        ),
        ReferralStatus.SELESAI: (
            "Gangguan pada jaringan tegangan rendah sudah diperbaiki; listrik di lokasi menyala "
            "kembali.",
            "Sekring gardu yang putus sudah diganti dan pasokan listrik kembali normal.",
        ),
    },
    PTMB: {
        ReferralStatus.DIPROSES: (
            "Tim teknis PTMB sedang memeriksa jaringan pipa distribusi di wilayah tersebut.",
            "Pipa yang bocor sudah ditemukan; perbaikan dikerjakan hari ini.",
        ),
        ReferralStatus.SELESAI: (
            "Kebocoran pipa sudah diperbaiki dan aliran air kembali normal.",
            "Pengurasan jaringan sudah dilakukan; air kembali jernih dan mengalir normal.",
        ),
    },
    DPUPR: {
        ReferralStatus.DIPROSES: ("Tim UPT Jalan dan Jembatan dijadwalkan meninjau lokasi.",),
        ReferralStatus.SELESAI: ("Kerusakan sudah ditangani oleh tim pemeliharaan DPUPR.",),
    },
    DLH: {
        ReferralStatus.DIPROSES: ("Jadwal armada angkutan sampah di lokasi sedang disesuaikan.",),
        ReferralStatus.SELESAI: ("Sampah di lokasi sudah diangkut oleh armada DLH.",),
    },
    DISHUB: {
        ReferralStatus.DIPROSES: ("Petugas UPT PJU sudah menjadwalkan pemeriksaan lampu.",),
        ReferralStatus.SELESAI: ("Lampu penerangan jalan di lokasi sudah diganti dan menyala.",),
    },
}
# A matter a body turns back now and then: what it says, and whose matter it is.
DECLINES: dict[str, tuple[str, str]] = {
    PLN: ("Setelah dicek, kabel yang dilaporkan adalah kabel telekomunikasi, bukan jaringan PLN.",
          TELKOM),
}
NEXT_STEP = {
    ReferralStatus.TERKIRIM: ReferralStatus.DITERIMA,
    ReferralStatus.DITERIMA: ReferralStatus.DIPROSES,
    ReferralStatus.DIPROSES: ReferralStatus.SELESAI,
}


@dataclass
class SimulatedLiaison:
    """Deterministic for a given `rng` and sequence of `now`s."""

    workspace_id: int
    rng: random.Random
    # A body answers no sooner than this after the referral's last step.
    wait: timedelta = timedelta(minutes=2)
    # The chance that a step answers at all: bodies are not all that quick.
    rate: float = 0.5
    decline_rate: float = 0.15

    def step(self, *, now: datetime) -> ReferralUpdate | None:
        """Answer one open referral whose turn it is, or none."""
        due = list(Referral.objects.filter(
            workspace_id=self.workspace_id, status__in=OPEN_REFERRAL_STATUSES,
            body__name__in=list(ANSWERS), updated_at__lte=now - self.wait)
            .select_related("body").order_by("updated_at", "pk")[:5])
        if not due or self.rng.random() >= self.rate:
            return None
        return self.answer(self.rng.choice(due), now=now)

    def answer(self, referral: Referral, *, now: datetime) -> ReferralUpdate:
        """The body's next answer to `referral` (its next step, or now and then a decline)."""
        body = referral.body.name
        status, text, suggested = NEXT_STEP[referral.status], "", None
        if (referral.status == ReferralStatus.TERKIRIM and body in DECLINES
                and self.rng.random() < self.decline_rate):
            text, owner = DECLINES[body]
            status = ReferralStatus.BUKAN_WEWENANG
            suggested = Body.objects.filter(workspace_id=self.workspace_id, name=owner).first()
        elif status != ReferralStatus.DITERIMA:
            text = self.rng.choice(ANSWERS[body][status])
        officer = referral.body.liaisons.order_by("pk").first()
        return record_body_answer(
            referral_id=referral.pk, status=status, text=text, now=now, actor=officer,
            author_label="" if officer else f"{body} (simulasi)",
            suggested_body_id=suggested.pk if suggested else None)
