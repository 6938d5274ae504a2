"""The roster's pages and its iCalendar feed: the outsider gets 404, the read-only auditor and an
operator at a supervisor's form get 403 with nothing changed, a refused change says why; the
feed is the member's own shifts (a night shift ends the next morning) and a reset kills the old
link at once; the fairness view counts nights, weekends and Christmas."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar

from tanggap.audit.models import AuditEvent
from tanggap.roster.models import CalendarFeed, PatternSlot, RosterSettings, Shift, TimeOff
from tanggap.roster.tests.conftest import WITA

MONDAY_10 = datetime(2026, 12, 7, 10, tzinfo=WITA)


@pytest.fixture
def pages(rostered, time_machine):
    time_machine.move_to(MONDAY_10, tick=False)
    return rostered


def _as(persona):
    persona.client.force_login(persona.user)
    return persona.client


def _stored():
    """What a refused form must leave as it was."""
    return (list(Shift.objects.values_list("name", "starts", "ends", "retired").order_by("pk")),
            PatternSlot.objects.count(), TimeOff.objects.count(),
            RosterSettings.objects.filter(fair_assignment=True).count(),
            AuditEvent.objects.count())


def test_the_outsider_finds_no_roster(pages):
    luar = _as(pages.luar)
    before = _stored()
    for path in ("/w/bpn/roster/", "/w/bpn/roster/fairness/"):
        assert luar.get(path).status_code == 404
    for path, data in (("/w/bpn/roster/shifts/add", {"name": "X", "starts": "01:00",
                                                     "ends": "02:00"}),
                       ("/w/bpn/roster/time-off/request", {"first_day": "2026-12-20",
                                                           "last_day": "2026-12-21"}),
                       ("/w/bpn/roster/settings", {"fair_assignment": "on"}),
                       ("/w/bpn/roster/feed/reset", {})):
        assert luar.post(path, data).status_code == 404
    assert _stored() == before
    assert not CalendarFeed.objects.exists()


def test_the_auditor_reads_the_roster_and_changes_nothing(pages):
    audi = _as(pages.audi)
    page = audi.get("/w/bpn/roster/")
    assert page.status_code == 200
    assert [day["day"] for day in page.context["days"]] == [
        date(2026, 12, 7) + timedelta(days=i) for i in range(7)]
    assert audi.get("/w/bpn/roster/fairness/").status_code == 200
    before = _stored()
    for path, data in (("/w/bpn/roster/shifts/add", {"name": "X", "starts": "01:00",
                                                     "ends": "02:00"}),
                       ("/w/bpn/roster/time-off/request", {"first_day": "2026-12-20",
                                                           "last_day": "2026-12-21"}),
                       ("/w/bpn/roster/settings", {"fair_assignment": "on"})):
        assert audi.post(path, data).status_code == 403
    assert _stored() == before


def test_an_operator_asks_but_does_not_change_the_roster(pages):
    ani = _as(pages.ani)
    before = _stored()
    pagi = pages.shifts["Pagi"].pk
    for path, data in (("/w/bpn/roster/shifts/add", {"name": "X", "starts": "01:00",
                                                     "ends": "02:00"}),
                       ("/w/bpn/roster/shifts/retire", {"shift": pagi}),
                       ("/w/bpn/roster/pattern/set", {"user": "ani", "shift": pagi,
                                                      "weekdays": ["5"]}),
                       ("/w/bpn/roster/settings", {"fair_assignment": "on"})):
        assert ani.post(path, data).status_code == 403
    assert _stored() == before
    asked = ani.post("/w/bpn/roster/time-off/request",
                     {"first_day": "2026-12-21", "last_day": "2026-12-22", "reason": "Nikahan"},
                     follow=True)
    assert [str(m) for m in asked.context["messages"]] == [
        "Libur diajukan: supervisor yang memutuskan."]
    assert list(TimeOff.objects.values_list("user__username", "status")) == [("ani", "menunggu")]


def test_a_refused_change_says_why_and_stores_nothing(pages):
    sari = _as(pages.sari)
    before = _stored()
    # Larut (22:00-06:00) on a Wednesday overlaps budi's Malam of that night (23:00-07:00).
    added = sari.post("/w/bpn/roster/shifts/add",
                      {"name": "Larut", "starts": "22:00", "ends": "06:00"}, follow=True)
    assert [str(m) for m in added.context["messages"]] == ["Sif ditambahkan."]
    larut = Shift.objects.get(name="Larut")
    before = _stored()
    refused = sari.post("/w/bpn/roster/pattern/set",
                        {"user": "budi", "shift": larut.pk, "weekdays": ["2"]}, follow=True)
    assert [str(m) for m in refused.context["messages"]] == [
        "budi akan bertugas di dua sif sekaligus: Larut 2026-12-09 22:00-06:00 dan "
        "Malam 2026-12-09 23:00-07:00."]
    assert _stored() == before
    same = sari.post("/w/bpn/roster/shifts/add", {"name": "Pagi", "starts": "07:00",
                                                  "ends": "07:00"}, follow=True)
    assert [str(m) for m in same.context["messages"]] == [
        "Sif tidak dapat mulai dan selesai pada jam yang sama (satu hari penuh adalah dua "
        "sif)."]
    assert _stored() == before


def test_the_feed_is_the_members_shifts_and_a_reset_kills_the_old_link(pages):
    budi = _as(pages.budi)
    assert budi.post("/w/bpn/roster/feed/reset").status_code == 302
    first = CalendarFeed.objects.get(user=pages.budi.user)
    page = budi.get("/w/bpn/roster/")
    assert page.context["feed_url"] == f"http://testserver/roster/feed/{first.token}.ics"

    anonymous = pages.luar.client.__class__()  # a calendar app: no cookies, only the URL
    served = anonymous.get(f"/roster/feed/{first.token}.ics")
    assert served["Content-Type"] == "text/calendar; charset=utf-8"
    events = Calendar.from_ical(served.content).walk("VEVENT")
    # budi works Malam every night from Monday 7 December: none before, the next three months.
    starts = sorted(e.decoded("dtstart") for e in events)
    assert starts[0] == datetime(2026, 12, 7, 23, tzinfo=WITA)
    assert len(starts) == 92 + 1  # today and the 92 days after it
    monday = next(e for e in events if e.decoded("dtstart") == starts[0])
    assert (str(monday["summary"]), monday.decoded("dtend")) == (
        "Piket Malam · Pemkot Balikpapan", datetime(2026, 12, 8, 7, tzinfo=WITA))
    assert str(monday["uid"]) == (
        f"bpn-{pages.shifts['Malam'].pk}-2026-12-07-{pages.budi.user.pk}@tanggap")

    budi.post("/w/bpn/roster/feed/reset")
    second = CalendarFeed.objects.get(user=pages.budi.user)
    assert second.token != first.token
    assert anonymous.get(f"/roster/feed/{first.token}.ics").status_code == 404
    assert anonymous.get(f"/roster/feed/{second.token}.ics").status_code == 200
    assert anonymous.get("/roster/feed/not-a-token.ics").status_code == 404
    assert list(AuditEvent.objects.filter(action="roster.feed_reset")
                .values_list("actor__username", flat=True)) == ["budi", "budi"]


def test_a_deactivated_account_has_no_feed(pages):
    budi = _as(pages.budi)
    budi.post("/w/bpn/roster/feed/reset")
    token = CalendarFeed.objects.get(user=pages.budi.user).token
    pages.budi.user.is_active = False
    pages.budi.user.save(update_fields=["is_active"])
    assert pages.luar.client.__class__().get(f"/roster/feed/{token}.ics").status_code == 404


def test_fairness_counts_nights_weekends_and_christmas(pages):
    sari = _as(pages.sari)
    page = sari.get("/w/bpn/roster/fairness/?from=2026-12-21&to=2026-12-27")
    rows = {row["user"].username: row["tally"] for row in page.context["rows"]}
    # The week of Christmas: cuti bersama on Thursday the 24th, Christmas on Friday the 25th.
    ani, budi, sari_tally = rows["ani"], rows["budi"], rows["sari"]
    assert (ani.duties, ani.hours, ani.nights, ani.weekends, ani.holidays) == (5, 40, 0, 0, 2)
    assert (budi.duties, budi.hours, budi.nights, budi.weekends, budi.holidays) == (
        7, 56, 7, 2, 2)
    assert (sari_tally.duties, sari_tally.on_call) == (0, 1)
    assert [row["user"].username for row in page.context["rows"]] == ["budi", "ani", "sari"]
    backwards = sari.get("/w/bpn/roster/fairness/?from=2026-12-27&to=2026-12-21")
    assert backwards.context["error"] == (
        "Periode harus maju dan paling lama setahun.")
    assert sari.get("/w/bpn/roster/fairness/?from=kemarin").context["error"] == (
        "Tulis tanggal sebagai TTTT-BB-HH.")
