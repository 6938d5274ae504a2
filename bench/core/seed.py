"""Prepare benchmark data straight through the ORM (run by the benchmarks, in the server's env).

    DJANGO_SETTINGS_MODULE=tanggap.settings DATABASE_URL=... python bench/core/seed.py \
        --slug bench --operators 20 --cases 100000 --messages 500000 --mix

Creates a workspace, a web channel and operators (op01..opNN, each with an API token) through
the real actions, then bulk-loads contacts, cases and messages with bulk_create: the bulk rows
skip the audit trail and the live pushes, which is fine for a read benchmark and keeps the load
to tens of seconds. Prints one JSON line last: slug, channel id, tokens, password, case ids
(only when there are at most 10,000 cases).

Without --mix every case is new and unclaimed (for the claim benchmark). With --mix the cases
are spread over the statuses the way a busy desk's history looks: about half closed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tanggap.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from tanggap.cases.models import Case, Contact, DeliveryStatus, Direction, Message  # noqa: E402
from tanggap.connectors.actions.channels import add_channel  # noqa: E402
from tanggap.workspaces.actions.members import add_member  # noqa: E402
from tanggap.workspaces.actions.tokens import create_token  # noqa: E402
from tanggap.workspaces.actions.workspaces import create_workspace  # noqa: E402

PASSWORD = "kata-sandi-bench-1"
BATCH = 5000
STATUS_MIX = [("baru", 20), ("diklaim", 5), ("dijawab", 15), ("menunggu", 5),
              ("selesai", 40), ("ditutup", 15)]
TEXTS_IN = [
    "Lampu PJU di Jl. MT Haryono mati sejak tiga hari, mohon diperbaiki.",
    "Mau tanya syarat perpanjangan KTP di Disdukcapil, apa harus bawa KK asli?",
    "Air PDAM di Gunung Sari Ilir tidak mengalir dari pagi.",
    "Terima kasih, jalan di Sepinggan sudah diaspal ulang. Mantap!",
    "Sampah di TPS Karang Rejo menumpuk, baunya sampai ke rumah warga.",
    "Kapan jadwal vaksin anak di Puskesmas Klandasan Ilir?",
]
TEXTS_OUT = [
    "Terima kasih laporannya. Kami teruskan ke dinas terkait hari ini.",
    "Baik Bapak/Ibu, syaratnya KTP lama dan KK asli. Terima kasih.",
    "Mohon maaf atas ketidaknyamanannya, petugas akan segera ke lokasi.",
]


# --varied: a city's worth of words, so that a search picks few cases the way it does on a real
# desk (the six texts above would make every word match a sixth of all cases).
PLACES = [
    "Jl. Sudirman", "Jl. MT Haryono", "Jl. Ahmad Yani", "Jl. Soekarno Hatta", "Jl. Pupuk",
    "Jl. Mulawarman", "Jl. Syarifuddin Yoes", "Jl. Marsma Iswahyudi", "Jl. Letjen Suprapto",
    "Jl. Gunung Malang", "Jl. Kapten Tendean", "Jl. Ruhui Rahayu", "Jl. Batakan", "Jl. Manggar",
    "Gunung Sari Ilir", "Gunung Sari Ulu", "Klandasan Ilir", "Klandasan Ulu", "Sepinggan",
    "Karang Rejo", "Karang Jati", "Damai", "Gunung Bahagia", "Sumber Rejo", "Baru Ilir",
    "Baru Tengah", "Margo Mulyo", "Kariangau", "Graha Indah", "Batu Ampar", "Muara Rapak",
    "Prapatan", "Telaga Sari", "Teritip", "Lamaru", "Manggar Baru", "Gunung Samarinda",
]
MATTERS = [
    ("lampu PJU", ["mati", "berkedip", "padam sejak malam", "tidak menyala"]),
    ("air PDAM", ["tidak mengalir", "keruh", "bau kaporit", "mati dari pagi"]),
    ("jalan", ["berlubang", "retak", "tergenang", "licin karena oli"]),
    ("sampah", ["menumpuk", "tidak diangkut", "dibakar warga", "berserakan"]),
    ("drainase", ["tersumbat", "meluap", "bau", "rusak"]),
    ("pohon", ["tumbang", "miring", "menutupi kabel", "perlu dipangkas"]),
    ("lampu lalu lintas", ["mati", "rusak", "berkedip kuning"]),
    ("KTP", ["belum jadi", "hilang", "salah nama"]),
    ("banjir", ["setinggi lutut", "masuk rumah", "tiap hujan"]),
    ("listrik PLN", ["padam", "naik turun", "korslet"]),
    ("angkot", ["ngetem", "tarif naik", "ugal-ugalan"]),
    ("puskesmas", ["antrean panjang", "dokter tidak ada", "obat habis"]),
]
OPENERS = ["Min,", "Pak,", "Bu,", "Mohon info,", "Tolong,", "Selamat pagi,", "Halo admin,", ""]
CLOSERS = ["Mohon segera ditindaklanjuti.", "Sudah 3 hari gak ada perbaikan.",
           "Makasih min.", "Tolong dicek ya.", "Kapan diperbaiki?", "Warga resah."]
FIRST = ["Budi", "Siti", "Agus", "Dewi", "Rudi", "Ani", "Joko", "Rina", "Hendra", "Yuni",
         "Bambang", "Sri", "Andi", "Wati", "Dedi", "Lestari", "Fajar", "Indah", "Rizki", "Maya",
         "Ahmad", "Nur", "Eko", "Putri", "Hadi", "Fitri", "Yusuf", "Ratna", "Arif", "Nanda"]
LAST = ["Santoso", "Rahmawati", "Saputra", "Lestari", "Hidayat", "Wijaya", "Kurniawan",
        "Pratama", "Susanti", "Nugroho", "Siregar", "Harahap", "Daeng", "Gultom", "Syahputra",
        "Anggraini", "Permana", "Setiawan", "Wulandari", "Firmansyah"]


def varied_name(rng) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def varied_text(rng, inbound: bool) -> str:
    matter, states = rng.choice(MATTERS)
    place = rng.choice(PLACES)
    number = rng.randint(1, 250)
    if inbound:
        return (f"{rng.choice(OPENERS)} {matter} di {place} no. {number} {rng.choice(states)}. "
                f"{rng.choice(CLOSERS)}").strip()
    return (f"Terima kasih laporannya. Laporan {matter} di {place} kami teruskan ke dinas "
            f"terkait; petugas dijadwalkan hari ke-{number % 7 + 1}.")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--slug", default="bench")
    p.add_argument("--operators", type=int, default=2)
    p.add_argument("--cases", type=int, default=0)
    p.add_argument("--messages", type=int, default=0,
                   help="total messages, at least one inbound per case")
    p.add_argument("--mix", action="store_true", help="spread cases over all statuses")
    p.add_argument("--varied", action="store_true",
                   help="texts and names drawn from a large vocabulary (bench/search)")
    p.add_argument("--search-index", action="store_true",
                   help="then write every case's search document (tanggap search rebuild)")
    args = p.parse_args()
    rng = random.Random(20260101)
    now = timezone.now()
    started = time.monotonic()

    workspace = create_workspace(slug=args.slug, name=f"Bench {args.slug}", now=now)
    channel = add_channel(workspace=workspace, platform="web", handle=f"{args.slug}-web", now=now)
    tokens, users = {}, []
    for i in range(1, args.operators + 1):
        name = f"op{i:02d}"
        member = add_member(workspace=workspace, username=name, role="operator",
                            password=PASSWORD, now=now)
        users.append(member.user)
        tokens[name] = create_token(user=member.user, now=now)
    # Citizens' messages come in through POST /api/v1/inbound, which only an integration account
    # (or an admin) may call.
    gateway = add_member(workspace=workspace, username="gerbang", role="integration",
                         password="", now=now).user
    inbound_token = create_token(user=gateway, now=now)

    n_cases = args.cases
    n_messages = max(args.messages, n_cases)
    n_contacts = max(1, int(n_cases * 0.7)) if n_cases else 0
    with transaction.atomic():
        Contact.objects.bulk_create(
            (Contact(workspace=workspace, platform="web", external_id=f"warga-{i}",
                     display_name=varied_name(rng) if args.varied else f"Warga {i}",
                     created_at=now - timedelta(days=120))
             for i in range(n_contacts)),
            batch_size=BATCH,
        )
    contact_ids = list(Contact.objects.filter(workspace=workspace).order_by("id")
                       .values_list("id", flat=True))
    statuses = [s for s, w in STATUS_MIX for _ in range(w)] if args.mix else ["baru"]

    def cases():
        for i in range(n_cases):
            status = rng.choice(statuses)
            held = status == "diklaim" or (status == "dijawab" and rng.random() < 0.5)
            when = now - timedelta(seconds=rng.randint(0, 90 * 86400))
            holder = rng.choice(users) if held and users else None
            yield Case(
                workspace=workspace, channel=channel, contact_id=contact_ids[i % n_contacts],
                thread_id="", kind=rng.choice(["pertanyaan", "aduan", "apresiasi", "lainnya"]),
                status=status, tracking_number=f"TB-{i:010d}",
                claimed_by=holder, claim_expires_at=(now + timedelta(minutes=15)) if holder else None,
                answered_by=holder if status == "dijawab" else None,
                last_inbound_at=when, created_at=when - timedelta(minutes=5), updated_at=when,
            )

    with transaction.atomic():
        Case.objects.bulk_create(cases(), batch_size=BATCH)
    case_rows = list(Case.objects.filter(workspace=workspace).order_by("id")
                     .values_list("id", "last_inbound_at"))

    def messages():
        extra = n_messages - n_cases
        per_case = extra / n_cases if n_cases else 0
        serial = 0
        for case_id, when in case_rows:
            count = 1 + int(per_case) + (1 if rng.random() < per_case % 1 else 0)
            for j in range(count):
                inbound = j % 2 == 0
                serial += 1
                yield Message(
                    workspace=workspace, case_id=case_id, channel=channel,
                    direction=Direction.IN if inbound else Direction.OUT,
                    external_id=f"bench-{serial}" if inbound else None,
                    text=(varied_text(rng, inbound) if args.varied
                          else rng.choice(TEXTS_IN if inbound else TEXTS_OUT)),
                    author_name="Warga" if inbound else "op01",
                    delivery_status=DeliveryStatus.RECEIVED if inbound else DeliveryStatus.SENT,
                    created_at=when - timedelta(minutes=count - j),
                )

    written = 0
    batch = []
    for message in messages():
        batch.append(message)
        if len(batch) == BATCH:
            with transaction.atomic():
                Message.objects.bulk_create(batch)
            written += len(batch)
            batch = []
    if batch:
        with transaction.atomic():
            Message.objects.bulk_create(batch)
        written += len(batch)

    indexed_seconds = None
    if args.search_index:
        from tanggap.cases import search

        t = time.monotonic()
        search.rebuild(workspace_id=workspace.pk, batch=2000)
        indexed_seconds = round(time.monotonic() - t, 1)

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {n_cases} cases, {written} messages, {n_contacts} contacts, "
          f"{len(users)} operators in {time.monotonic() - started:.1f} s", file=sys.stderr)
    print(json.dumps({
        "slug": args.slug, "channel_id": channel.pk, "tokens": tokens,
        "inbound_token": inbound_token, "password": PASSWORD,
        "cases": n_cases, "messages": written, "seconds": round(time.monotonic() - started, 1),
        "search_index_seconds": indexed_seconds,
        "case_ids": [cid for cid, _ in case_rows] if n_cases <= 10_000 else [],
    }))


if __name__ == "__main__":
    main()
