"""An export of 100,000 cases streams: its rows are read in chunks and written as they come, so
the memory the export takes stays far below what the rows themselves would. Measured as the
growth of the process's peak resident memory (Linux's VmHWM, reset before each export), which
costs nothing while the export runs (tracemalloc made openpyxl ten times slower)."""

from __future__ import annotations

import ctypes
import gc
import io
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.db import connection, models

from tanggap.cases.models import Case, Contact
from tanggap.reports.models import CaseFact

ROWS = 100_000
T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
# What an export may add to the process's peak memory. Measured here: the streamed CSV adds about
# 12 MB and the XLSX about 9 MB (a chunk of 2,000 rows, the driver's and openpyxl's buffers);
# the same export with its 100,000 rows gathered in a list first adds about 53 MB.
PEAK_LIMIT = 30 * 1024 * 1024
STATUS = Path("/proc/self/status")


def _seed(desk) -> None:
    """100,000 cases with their facts, written straight to the tables (the export reads only
    these two and the contacts)."""
    contact = Contact.objects.create(workspace=desk.bpn, platform="web", external_id="many",
                                     display_name="Warga Banyak", created_at=T0)
    case = Case(workspace_id=desk.bpn.pk, channel_id=desk.web.pk, contact_id=contact.pk,
                kind="aduan", status="selesai", topic="jalan", intent="aduan")
    times = [T0 + timedelta(seconds=20 * n) for n in range(ROWS)]
    _insert(case, [{"tracking_number": f"TG-{n:012d}", "last_inbound_at": at, "created_at": at,
                    "updated_at": at} for n, at in enumerate(times)])
    ids = Case.objects.filter(workspace=desk.bpn).order_by("pk").values_list("pk", flat=True)
    fact = CaseFact(workspace_id=desk.bpn.pk, channel_id=desk.web.pk, platform="web",
                    kind="aduan", intent="aduan", topic="jalan", status="selesai",
                    first_response_seconds=1800, contrib={})
    _insert(fact, [{"case_id": case_id, "opened_at": at, "opened_day": at.date(),
                    "first_response_at": at + timedelta(minutes=30),
                    "first_response_day": at.date(), "updated_at": at}
                   for case_id, at in zip(ids, times, strict=True)])


def _insert(template, rows: list[dict]) -> None:
    """Rows of the template's model, each the template with its own values for a few fields.
    Every column comes from the model's fields, so one a later migration adds keeps its model
    default here (hand-written INSERTs broke on PostgreSQL's NOT NULL when one was added); the
    values are prepared once per column, not per row and field as bulk_create does (which took
    most of this test's time)."""
    model = type(template)
    fields = [f for f in model._meta.concrete_fields
              if not f.generated and not isinstance(f, models.AutoField)]
    base = [f.get_db_prep_save(f.pre_save(template, add=True), connection) for f in fields]
    where = {f.attname: (i, f) for i, f in enumerate(fields)}
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} "
           f"({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            batch = []
            for row in rows[start:start + 5000]:
                values = list(base)
                for name, value in row.items():
                    index, field = where[name]
                    values[index] = field.get_db_prep_save(value, connection)
                batch.append(values)
            cursor.executemany(sql, batch)


def _reset_peak() -> int:
    """Reset the process's peak resident memory to the current one and return it (bytes),
    after handing the memory freed so far back to the system (the seeding's objects would
    otherwise leave room that an export could fill without the peak moving)."""
    gc.collect()
    ctypes.CDLL(None).malloc_trim(0)
    Path("/proc/self/clear_refs").write_text("5")
    return _memory("VmRSS")


def _memory(key: str) -> int:
    for line in STATUS.read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"{key} not in {STATUS}")


@pytest.mark.slow
@pytest.mark.skipif(not STATUS.exists(), reason="measures memory with Linux's /proc")
def test_a_hundred_thousand_cases_stream_as_csv_and_xlsx(desk):
    _seed(desk)
    desk.sari.client.force_login(desk.sari.user)
    period = {"from": "2026-06-01", "to": str(date(2026, 6, 1) + timedelta(days=30))}

    before = _reset_peak()
    response = desk.sari.client.get("/w/bpn/reports/cases.csv", period)
    assert response.streaming
    head, lines = b"", 0
    for chunk in response.streaming_content:
        if len(head) < 2000:
            head += chunk
        lines += chunk.count(b"\n")
    grew = _memory("VmHWM") - before
    assert grew < PEAK_LIMIT, f"{grew / 2**20:.1f} MB"
    assert lines == ROWS + 1  # the header and every case
    assert head.startswith("\ufeffId kasus,Dibuka,Kanal,".encode())
    assert b"TG-000000000000" in head

    before = _reset_peak()
    response = desk.sari.client.get("/w/bpn/reports/cases.xlsx", period)
    assert response.streaming
    body = io.BytesIO()
    for chunk in response.streaming_content:
        body.write(chunk)
    grew = _memory("VmHWM") - before - len(body.getvalue())
    assert grew < PEAK_LIMIT, f"{grew / 2**20:.1f} MB"
    assert body.getvalue()[:2] == b"PK"
    header, rows, last = _sheet_rows(body)
    # Supervisors get the personal columns (auditors' exports are tested in test_views).
    assert header[-4:-1] == ["Nomor pelacakan", "Warga", "Akun warga"]
    assert (rows, last) == (ROWS + 1, f"{ROWS + 1}")  # the header and every case, in order


def _sheet_rows(body: io.BytesIO) -> tuple[list[str], int, str]:
    """The first row's texts, the number of rows and the last row's number, read from the
    sheet's XML as it unzips (openpyxl's reader took a minute over 100,000 rows: it parses
    every cell, even to find the sheet's size)."""
    with zipfile.ZipFile(body) as archive, archive.open("xl/worksheets/sheet1.xml") as sheet:
        head, rows, carry, end = b"", 0, b"", b""
        while chunk := sheet.read(1 << 20):
            # The last 4 bytes carried over: a "<row " cut by the chunk's end is counted once.
            rows += (carry + chunk).count(b"<row ")
            carry, end = chunk[-4:], (end + chunk)[-(1 << 16):]
            if b"</row>" not in head:
                head += chunk
    first = ElementTree.fromstring(head[head.index(b"<row "):head.index(b"</row>") + 6])
    header = ["".join(t.itertext()) for t in first.iter() if t.tag.endswith("}t") or t.tag == "t"]
    numbers = re.findall(rb'<row r="(\d+)"', end)
    return header, rows, numbers[-1].decode()
