"""The reports pages: who may read them, what they show, and their exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from tanggap.cases.actions import claim_case, send_reply, set_case_status
from tanggap.reports import durations, rollup

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
URL = "/w/bpn/reports/"


@pytest.fixture
def lived_in(desk):
    """Three cases in November 2026: a complaint answered and resolved, a thanks, an abusive one."""
    first = desk.inbound(text="Lampu jalan di Jl. Sudirman mati sejak kemarin", author_id="w1",
                         external_id="a", now=NOW - timedelta(days=3)).case
    claim_case(case_id=first.pk, actor=desk.ani.user, now=NOW - timedelta(days=3))
    first.refresh_from_db()
    send_reply(case_id=first.pk, actor=desk.ani.user, idempotency_key="k1",
               text="Terima kasih, laporan Bapak sudah kami teruskan ke DPUPR.",
               base_version=first.version, now=NOW - timedelta(days=3) + timedelta(hours=2))
    set_case_status(case_id=first.pk, actor=desk.ani.user, status="selesai",
                    now=NOW - timedelta(days=1))
    desk.inbound(text="Terima kasih pak, jalannya sudah diperbaiki. Mantap pelayanannya!",
                 author_id="w2", external_id="b", now=NOW - timedelta(days=2))
    desk.inbound(text="Dasar pemkot goblok, sampah menumpuk tidak diangkat", author_id="w3",
                 external_id="c", now=NOW - timedelta(days=1))
    rollup.catch_up(now=NOW)
    return desk


def period(**extra):
    return {"from": "2026-11-01", "to": "2026-11-30", **extra}


def test_supervisors_admins_and_auditors_read_reports_operators_and_outsiders_do_not(lived_in):
    desk = lived_in
    desk.sari.client.force_login(desk.sari.user)
    desk.audi.client.force_login(desk.audi.user)
    desk.ani.client.force_login(desk.ani.user)
    desk.luar.client.force_login(desk.luar.user)
    assert desk.sari.client.get(URL, period()).status_code == 200
    assert desk.audi.client.get(URL, period()).status_code == 200
    assert desk.ani.client.get(URL, period()).status_code == 403
    assert desk.luar.client.get(URL, period()).status_code == 404
    assert desk.luar.client.get(URL + "cases.csv", period()).status_code == 404
    assert desk.ani.client.get(URL + "export.xlsx", period()).status_code == 403


def test_the_page_shows_the_numbers_and_hands_the_charts_to_the_script(lived_in):
    desk = lived_in
    desk.sari.client.force_login(desk.sari.user)
    response = desk.sari.client.get(URL, period())
    numbers = {n.key: n.value for n in response.context["report"].numbers}
    assert numbers["opened"] == 3 and numbers["messages_in"] == 3 and numbers["replies"] == 1
    assert numbers["thanks"] == 1 and numbers["kasar_share"] == pytest.approx(33.3)
    # Times are read from histograms: within a bucket's width of the exact value.
    assert numbers["first_response_median"] == pytest.approx(2.0, rel=durations.RATIO - 1)
    assert numbers["resolution_median"] == pytest.approx(48.0, rel=durations.RATIO - 1)
    assert numbers["answered_share"] == pytest.approx(33.3)
    html = response.content.decode()
    charts = json.loads(html.split('<script id="report-charts" type="application/json">')[1]
                        .split("</script>")[0])
    assert charts["volume"]["datasets"][0]["data"][16:19] == [1, 1, 1]  # Nov 17, 18, 19
    assert "<script>" not in html  # nothing inline: the charts come from charts.js
    assert 'data-chart="topic"' in html
    assert "belum memiliki standar waktu layanan" in html  # the SLA section says it is absent


def test_a_period_without_data_draws_empty_sections_not_errors(lived_in):
    desk = lived_in
    desk.sari.client.force_login(desk.sari.user)
    response = desk.sari.client.get(URL, {"from": "2025-01-01", "to": "2025-01-31"})
    assert response.status_code == 200
    numbers = {n.key: n.value for n in response.context["report"].numbers}
    assert numbers["opened"] == 0 and numbers["first_response_median"] is None
    assert all(section.empty for section in response.context["report"].sections)


@pytest.mark.parametrize("params, field", [
    ({"from": "2026-13-01"}, "from"), ({"from": "2026-11-30", "to": "2026-11-01"}, "from"),
    ({"by": "hour"}, "by"), ({"topic": "nope"}, "topic"), ({"channel": "x"}, "channel"),
    ({"kasar": "maybe"}, "kasar"), ({"area": "Jl. Sudirman 5"}, "area"),
    ({"from": "2020-01-01", "to": "2026-11-01"}, "from"),
])
def test_bad_filters_are_named(lived_in, params, field):
    desk = lived_in
    desk.sari.client.force_login(desk.sari.user)
    response = desk.sari.client.get(URL, params)
    assert response.status_code == 400
    assert response.context["error"]
    assert desk.sari.client.get(URL + "cases.csv", params).status_code == 400


def test_filters_narrow_every_number(lived_in):
    desk = lived_in
    desk.sari.client.force_login(desk.sari.user)
    response = desk.sari.client.get(URL, period(topic="penerangan_jalan"))
    numbers = {n.key: n.value for n in response.context["report"].numbers}
    assert numbers["opened"] == 1 and numbers["thanks"] == 0 and numbers["replies"] == 1
    response = desk.sari.client.get(URL, period(kasar="true"))
    numbers = {n.key: n.value for n in response.context["report"].numbers}
    assert numbers["opened"] == 1 and numbers["kasar_share"] == 100.0


def test_csv_of_a_table_and_xlsx_of_the_report(lived_in):
    desk = lived_in
    desk.sari.client.force_login(desk.sari.user)
    response = desk.sari.client.get(URL + "export.csv", period(table="kind"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:2] == ["Nilai", "Laporan"]
    assert sorted((r[0], r[1]) for r in rows[1:]) == [("Aduan", "2"), ("Apresiasi", "1")]
    response = desk.sari.client.get(URL + "export.csv", period(table="nope"))
    assert response.status_code == 400
    response = desk.sari.client.get(URL + "export.xlsx", period())
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames[0] == "Angka utama"
    assert len(book.sheetnames) == 1 + len(["volume", "channel", "kind", "intent", "topic",
                                            "body", "area", "times", "sla", "thanks",
                                            "operators", "kasar", "referrals"])


def _case_csv(persona, **extra):
    response = persona.client.get(URL + "cases.csv", period(**extra))
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_case_list_has_personal_data_for_supervisors_only(lived_in):
    desk = lived_in
    desk.sari.client.force_login(desk.sari.user)
    desk.audi.client.force_login(desk.audi.user)
    full = _case_csv(desk.sari)
    anonymous = _case_csv(desk.audi)
    assert len(full) == len(anonymous) == 4
    assert "Nomor pelacakan" in full[0] and "Warga Satu" in {r[15] for r in full[1:]}
    assert len(anonymous[0]) == 14
    flat = "\n".join(",".join(r) for r in anonymous)
    assert "Warga Satu" not in flat and "Sudirman" not in flat and "TG-" not in flat
    assert "Lampu jalan di Jl. Sudirman mati sejak kemarin" in {r[17] for r in full[1:]}


def test_the_case_list_as_xlsx(lived_in):
    desk = lived_in
    desk.sari.client.force_login(desk.sari.user)
    response = desk.sari.client.get(URL + "cases.xlsx", period())
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    assert sheet.max_row == 4 and sheet.cell(1, 1).value == "Id kasus"


def test_the_monthly_pdf_from_the_page_and_the_command(lived_in, tmp_path):
    desk = lived_in
    desk.sari.client.force_login(desk.sari.user)
    response = desk.sari.client.get(URL + "monthly.pdf", {"month": "2026-11"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert desk.sari.client.get(URL + "monthly.pdf", {"month": "2026-13"}).status_code == 400
    out = tmp_path / "laporan.pdf"
    call_command("report", "monthly", "bpn", "--month", "2026-11", "--output", str(out),
                 "--no-progress")
    assert out.read_bytes().startswith(b"%PDF")


def test_the_slices_and_the_daily_rows_answer_the_same(lived_in, monkeypatch):
    """A report with at most one filter reads the slices; with more, the daily rows and the
    facts. Forced the second way, every table is the same."""
    from tanggap.reports import queries, reads
    from tanggap.reports.filters import ReportFilter

    desk = lived_in
    for extra in ({}, {"kind": "aduan"}, {"kasar": True}, {"topic": "penerangan_jalan"}):
        f = ReportFilter(workspace_id=desk.bpn.pk, start=NOW.date() - timedelta(days=30),
                         end=NOW.date(), **extra)
        by_slices = queries.build_report(f)
        with monkeypatch.context() as patch:
            patch.setattr(reads, "one_slice", lambda f: None)
            by_rows = queries.build_report(f)
        assert [t.rows for t in by_slices.tables()] == [t.rows for t in by_rows.tables()], extra
        assert by_slices.section("volume").table.rows  # there was something to compare


def test_the_sla_section_counts_met_and_breached(desk):
    from tanggap.sla import actions as sla_actions
    from tanggap.sla.checks import check_workspace
    from tanggap.workspaces.models import Membership

    admin = Membership.objects.get(workspace=desk.bpn, user=desk.sari.user)
    sla_actions.set_policy(membership=admin, actor=desk.sari.user, now=NOW - timedelta(days=9),
                           name="Standar", first_response=60)
    start = NOW - timedelta(days=5)
    for n, minutes in enumerate((20, 30, 240)):
        case = desk.inbound(text="Sampah menumpuk di TPS", author_id=f"w{n}",
                            external_id=f"s{n}", now=start).case
        claim_case(case_id=case.pk, actor=desk.ani.user, now=start)
        case.refresh_from_db()
        send_reply(case_id=case.pk, actor=desk.ani.user, idempotency_key=f"k{n}",
                   text="Terima kasih, petugas kami kirim hari ini.", base_version=case.version,
                   now=start + timedelta(minutes=minutes))
    check_workspace(workspace=desk.bpn, now=start + timedelta(hours=5))
    rollup.catch_up(now=NOW)
    desk.sari.client.force_login(desk.sari.user)
    response = desk.sari.client.get(URL, period())
    section = response.context["report"].section("sla")
    assert not section.absent
    assert [row[1:] for row in section.table.rows] == [[2, 1, 66.7, 0, 0, None, 0]]


def test_the_monthly_report_quotes_the_thanks_of_its_month(lived_in):
    from datetime import date

    from django.utils.translation import gettext

    from tanggap.reports import monthly
    from tanggap.reports.models import ThanksFact

    desk = lived_in
    thanks = ThanksFact.objects.get(workspace_id=desk.bpn.pk)
    assert (thanks.day, thanks.platform) == (date(2026, 11, 18), "web")
    regular, bold = monthly._fonts()
    styles = monthly._styles(regular, bold)
    november = [p.text for p in monthly._thanks(desk.bpn.pk, date(2026, 11, 1),
                                                 date(2026, 11, 30), styles, regular)]
    assert "jalannya sudah diperbaiki" in november[0]
    assert not any("Warga" in text for text in november)  # never a name
    october = [p.text for p in monthly._thanks(desk.bpn.pk, date(2026, 10, 1),
                                                date(2026, 10, 31), styles, regular)]
    assert october == [gettext("No thanks were received this month.")]
