"""The inbox rows in every state a case can be in, as the desk's scripts read them.

desk.js, bulk.js, split.js and sla.js find rows by `.case-row[data-case-id]`, read
`data-version`, the `.pick` boxes, `.track`, `[data-presence-for]` and the clock's
`data-sla-due/-warn/-state`; the browser tests and the live re-render (`/w/<slug>/rows`) use the
same markup. Each row below is asserted whole, so a change of the rows' HTML shows here first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tanggap.cases.actions import claim_case, set_case_status
from tanggap.cases.models import Case
from tanggap.referrals.models import Referral
from tanggap.referrals.tests.conftest import make_directory
from tanggap.roster.models import Offer, OfferKind
from tanggap.roster.tests.conftest import WITA, membership
from tanggap.sla.actions import set_policy

NOW = datetime(2026, 12, 7, 10, tzinfo=WITA)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@pytest.fixture
def varied(desk, time_machine):
    """Cases in every state a row shows, seen by ani at NOW (one case per state, by name)."""
    from django.utils import translation

    time_machine.move_to(NOW - timedelta(hours=3), tick=False)
    set_policy(membership=membership(desk, desk.sari), actor=desk.sari.user, now=timezone.now(),
               name="Standar <kota>", first_response=60, resolution=24 * 60)
    budi = desk.budi.user
    budi.first_name, budi.last_name = "Budi", "<Santoso>"
    budi.save()
    cases = {}

    def arrive(name, minutes_ago, **fields):
        when = NOW - timedelta(minutes=minutes_ago)
        time_machine.move_to(when, tick=False)
        case = desk.inbound(text=fields.pop("text", f"Lampu jalan mati di gang {name}"),
                            external_id=f"m-{name}", author_id=f"w-{name}",
                            channel=fields.pop("channel", None), now=when).case
        if fields:
            Case.objects.filter(pk=case.pk).update(**fields)
        cases[name] = case
        return case

    arrive("ok", 10, topic="penerangan_jalan", triage_reasons=["topik:lampu"],
           triage_unsure=False, kasar=False, kind="pertanyaan")
    arrive("warn", 50, topic="", triage_reasons=[], triage_unsure=False, kasar=False)
    arrive("late", 125, topic="", triage_reasons=[], triage_unsure=False, kasar=False,
           kind="aduan")
    arrive("unsure", 20, topic="", triage_unsure=True, triage_confirmed=False, kasar=False,
           triage_reasons=["topik:perlu dicek 0.45"])
    arrive("kasar", 30, topic="", kasar=True, triage_unsure=False,
           triage_reasons=["kasar:kata kasar"])
    arrive("escaped", 40, channel=desk.x, topic="", kasar=False, triage_unsure=False,
           triage_reasons=[],
           text="<script>alert('x')</script> & \"kutip\" " + "panjang sekali " * 12)
    for name, minutes_ago in (("mine", 5), ("budi", 6), ("sari", 3), ("lapsed", 170),
                              ("offer_me", 7), ("offer_other", 8), ("referred", 9),
                              ("waiting", 60), ("done", 90), ("done_early", 12)):
        arrive(name, minutes_ago, topic="", kasar=False, triage_unsure=False, triage_reasons=[])
    time_machine.move_to(NOW - timedelta(minutes=4), tick=False)
    claim_case(case_id=cases["mine"].pk, actor=desk.ani.user, now=timezone.now())
    claim_case(case_id=cases["budi"].pk, actor=budi, now=timezone.now())
    claim_case(case_id=cases["lapsed"].pk, actor=budi, now=timezone.now())
    claim_case(case_id=cases["sari"].pk, actor=desk.sari.user, now=timezone.now())
    Case.objects.filter(pk=cases["lapsed"].pk).update(claim_expires_at=NOW - timedelta(minutes=1))
    for name, user, note in (("offer_me", desk.ani.user, '<b>"Tolong" & cepat</b>'),
                             ("offer_other", budi, "")):
        Offer.objects.create(workspace=desk.bpn, case=cases[name], user=user,
                             kind=OfferKind.HANDOVER, offered_by=desk.sari.user, note=note,
                             offered_at=timezone.now())
    directory = make_directory(desk)
    desk.ani.post(f"/api/v1/cases/{cases['referred'].pk}/claim")
    answer = desk.ani.post(f"/api/v1/cases/{cases['referred'].pk}/referrals",
                           {"body_id": directory.pln.pk})
    assert answer.status_code == 201, answer.content
    desk.ani.post(f"/api/v1/cases/{cases['referred'].pk}/release")
    Referral.objects.filter(case=cases["referred"]).update(
        acknowledge_due_at=NOW - timedelta(hours=1))
    set_case_status(case_id=cases["waiting"].pk, actor=desk.ani.user, status="menunggu",
                    now=timezone.now())
    for name in ("done", "done_early"):
        set_case_status(case_id=cases[name].pk, actor=desk.ani.user, status="selesai",
                        now=timezone.now())
    time_machine.move_to(NOW, tick=False)
    for case in cases.values():
        case.refresh_from_db()
    desk.cases = cases
    with translation.override("id"):
        yield desk


def rows_of(client, query="status=all", slug="bpn") -> dict[int, str]:
    """Each row's markup, whitespace collapsed, by case id."""
    page = client.get(f"/w/{slug}/rows?{query}")
    assert page.status_code == 200
    html = page.content.decode()
    rows = {}
    for chunk in html.split('<li class="case-row')[1:]:
        row = " ".join(('<li class="case-row' + chunk.split("</li>")[0] + "</li>").split())
        case_id = int(row.split('data-case-id="')[1].split('"')[0])
        rows[case_id] = row
    return rows


def test_every_row_carries_what_the_scripts_read(varied):
    client = varied.ani.client
    client.force_login(varied.ani.user)
    rows = rows_of(client)
    cases = varied.cases
    assert set(rows) == {c.pk for c in cases.values()}
    for case in cases.values():
        row = rows[case.pk]
        assert row.startswith(f'<li class="case-row status-{case.status}" '
                              f'data-case-id="{case.pk}" data-version="{case.version}" '
                              f'tabindex="-1">'), row
        assert (f'<input type="checkbox" class="pick" data-case-id="{case.pk}" '
                f'aria-label="Pilih {case.tracking_number}">') in row
        assert f'<a href="/w/bpn/cases/{case.pk}/">' in row
        assert f'<span class="presence" data-presence-for="{case.pk}"></span>' in row
        assert f'<span class="track">{case.tracking_number}</span>' in row
        assert (f'<time datetime="{case.last_inbound_at.isoformat()}">') in row


def test_each_state_reads_as_before(varied):
    client = varied.ani.client
    client.force_login(varied.ani.user)
    rows = rows_of(client)
    c = varied.cases

    def body(name):
        return rows[c[name].pk].split("<a href=")[1]

    assert body("ok") == (
        f'"/w/bpn/cases/{c["ok"].pk}/"> <span class="line"> <span class="who">Warga Satu</span> '
        '<span class="chan chan-web">Web</span> <span class="badge st-baru">Baru</span> '
        '<span class="badge kind">Pertanyaan</span> '
        '<span class="badge topic topic-penerangan_jalan" title="topik: lampu">'
        'Penerangan jalan</span> '
        f'<span class="badge sla sla-ok" data-sla-due="{_iso(NOW + timedelta(minutes=50))}" '
        f'data-sla-warn="{_iso(NOW + timedelta(minutes=38))}" data-sla-state="ok" '
        'title="Standar &lt;kota&gt;">⏱ 50 menit</span> <span class="grow"></span> '
        f'<time datetime="{c["ok"].last_inbound_at.isoformat()}">10 menit</time> </span> '
        '<span class="snippet">Lampu jalan mati di gang ok</span> <span class="line meta"> '
        '<span class="holder"></span> '
        f'<span class="presence" data-presence-for="{c["ok"].pk}"></span> '
        f'<span class="grow"></span> <span class="track">{c["ok"].tracking_number}</span> '
        '</span> </a> </li>')
    assert 'class="badge sla sla-warn"' in body("warn")
    assert ('<span class="badge kind">Aduan</span>' in body("late")
            and 'data-sla-state="breached" title="Standar &lt;kota&gt;">⏰ terlambat</span>'
            in body("late"))
    assert ('<span class="badge check" title="perlu dicek (45%)">perlu dicek</span>'
            in body("unsure"))
    assert '<span class="badge kasar" title="' in body("kasar") and ">kasar</span>" in body(
        "kasar")
    escaped = body("escaped")
    assert '<span class="chan chan-x">X</span>' in escaped
    assert ('<span class="snippet">&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; '
            '&quot;kutip&quot; panjang') in escaped and "<script>" not in escaped
    assert escaped.split('<span class="snippet">')[1].split("</span>")[0].endswith("…")
    assert '<span class="holder">Anda memegangnya</span>' in body("mine")
    assert '<span class="badge st-diklaim">Diklaim</span>' in body("mine")
    assert '<span class="holder">Dipegang oleh Budi &lt;Santoso&gt;</span>' in body("budi")
    assert ('<span class="badge st-diklaim st-lapsed">Klaim berakhir</span>' in body("lapsed")
            and '<span class="holder"></span>' in body("lapsed"))
    assert ('<span class="badge untukmu" title="&lt;b&gt;&quot;Tolong&quot; &amp; cepat&lt;/b&gt;">'
            'untukmu</span>') in body("offer_me")
    assert '<span class="badge offered">→ budi</span>' in body("offer_other")
    assert ('<span class="badge overdue" title="Rujukan kasus ini melewati batas waktu">'
            'terlambat</span>') in body("referred")
    assert 'data-sla-state="paused"' in body("waiting") and "⏸ berhenti sementara" in body("waiting")
    assert '<span class="badge st-selesai">Selesai</span>' in body("done")
    assert '<span class="holder">Dipegang oleh sari</span>' in body("sari")
    assert ('<span class="badge sla sla-met" data-sla-due="" data-sla-warn="" data-sla-state="met" '
            'title="Standar &lt;kota&gt;">✓ tepat waktu</span>') in body("done_early")


def test_readers_who_may_not_write_get_no_boxes_and_english_readers_english(varied):
    audi = varied.audi.client
    audi.force_login(varied.audi.user)
    rows = rows_of(audi)
    assert len(rows) == len(varied.cases) and not any('class="pick"' in r for r in rows.values())
    ani = varied.ani.client
    ani.force_login(varied.ani.user)
    ani.cookies["django_language"] = "en"
    rows = rows_of(ani)
    mine = rows[varied.cases["mine"].pk]
    assert '<span class="holder">You hold it</span>' in mine and 'aria-label="Select ' in mine
    assert '<span class="badge st-diklaim">Claimed</span>' in mine
    assert '<span class="badge kind">Complaint</span>' in mine
    assert "minutes</time>" in rows[varied.cases["ok"].pk]


def test_the_outsider_sees_no_row(varied):
    luar = varied.luar.client
    luar.force_login(varied.luar.user)
    assert luar.get("/w/bpn/rows").status_code == 404
    assert luar.get("/w/bpn/").status_code == 404
    assert rows_of(luar, slug="dlh") == {}


def test_the_rows_cost_the_same_queries_for_more_cases(varied, time_machine):
    """Holders, contacts, channels, offers, clocks and referrals come a page at a time: no
    query per row (and none for a column the page's query left out)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = varied.ani.client
    client.force_login(varied.ani.user)

    def counted() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/w/bpn/rows?status=all").status_code == 200
        return len(queries)

    before = counted()
    for i in range(6):
        case = varied.inbound(external_id=f"more-{i}", author_id=f"more-{i}", now=NOW).case
        claim_case(case_id=case.pk, actor=varied.budi.user, now=NOW)
    assert len(rows_of(client)) == len(varied.cases) + 6
    assert counted() == before


def _moments(now: datetime) -> list[datetime]:
    """Each side of every minute up to three days from `now`, then every 7 minutes and each
    day's and week's edge to 40 days (past the months `Ages` leaves to `timesince`), both ways."""
    minutes = [*range(3 * 24 * 60), *range(3 * 24 * 60, 40 * 24 * 60, 7),
               *(d * 24 * 60 + e for d in range(41) for e in (-1, 0, 1))]
    moments = []
    for m in minutes:
        for seconds in (m * 60 - 1, m * 60, m * 60 + 1):
            for sign in (1, -1):
                moments.append(now - sign * timedelta(seconds=seconds, microseconds=999_999))
                moments.append(now - sign * timedelta(seconds=seconds))
    return moments


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_ages_are_timesinces_words(language):
    """`Ages` prints what `timesince`/`timeuntil` print, with the rows' unit words."""
    from zoneinfo import ZoneInfo

    from django.utils import translation
    from django.utils.timesince import timesince, timeuntil

    from tanggap.web.inbox_rows import UNITS, Ages

    now = datetime(2026, 3, 1, 0, 0, 30, 250_000, tzinfo=UTC)
    with translation.override(language):
        ages = Ages(now)
        for moment in _moments(now):
            assert ages.since(moment) == timesince(moment, now, time_strings=UNITS), moment
            assert ages.until(moment) == timeuntil(moment, now, time_strings=UNITS), moment
        # Wall clocks with summer time go to timesince itself: the same words there too.
        summer = ZoneInfo("Europe/Amsterdam")
        for moment in (datetime(2026, 3, 29, 1, 30, tzinfo=summer),
                       datetime(2026, 3, 28, 23, 0, tzinfo=summer)):
            later = Ages(datetime(2026, 3, 29, 4, 0, tzinfo=summer))
            assert later.since(moment) == timesince(moment, later.now, time_strings=UNITS)
        assert Ages(now).since(now - timedelta(days=1, hours=2, minutes=3)) == (
            "1\xa0hari, 2\xa0jam" if language == "id" else "1\xa0day, 2\xa0hours")


# The rows' template before `rows_html` printed them from Python: the page must stay these bytes.
TEMPLATE_ROWS = """\
{% if error %}<p class="error">{{ error }}</p>{% endif %}
<ul class="queue" id="queue">
{% for row in rows %}
  <li class="case-row status-{{ row.status }}" data-case-id="{{ row.pk }}" data-version="{{ row.version }}" tabindex="-1">
    {% if can_write %}<input type="checkbox" class="pick" data-case-id="{{ row.pk }}" aria-label="{{ row.select }}">{% endif %}
    <a href="{{ row.url }}">
      <span class="line">
        <span class="who">{{ row.who }}</span>
        <span class="chan chan-{{ row.platform }}">{{ row.platform_label }}</span>
        <span class="badge {{ row.status_class }}">{{ row.shown_status }}</span>
        <span class="badge kind">{{ row.kind }}</span>
        {% if row.needs_check %}<span class="badge check" title="{{ row.reasons }}">{{ texts.needs_check }}</span>{% elif row.topic_label %}<span class="badge topic topic-{{ row.topic }}" title="{{ row.reasons }}">{{ row.topic_label }}</span>{% endif %}
        {% if row.overdue %}<span class="badge overdue" title="{{ texts.overdue_referral }}">{{ texts.overdue }}</span>{% endif %}

        {% if row.kasar %}<span class="badge kasar" title="{{ row.reasons }}">{{ texts.abusive }}</span>{% endif %}
        {% if row.offer_to %}{% if row.offer_mine %}<span class="badge untukmu" title="{{ row.offer_note }}">{{ texts.for_you }}</span>{% else %}<span class="badge offered">→ {{ row.offer_to }}</span>{% endif %}{% endif %}
{% if row.sla %}<span class="badge sla sla-{{ row.sla.state }}" data-sla-due="{{ row.sla.due }}" data-sla-warn="{{ row.sla.warn }}" data-sla-state="{{ row.sla.state }}" title="{{ row.sla.policy }}">{{ row.sla.text }}</span>{% endif %}

        <span class="grow"></span>
        <time datetime="{{ row.waiting_since }}">{{ row.waited }}</time>
      </span>
      <span class="snippet">{{ row.snippet }}</span>
      <span class="line meta">
        <span class="holder">{{ row.holder }}</span>
        <span class="presence" data-presence-for="{{ row.pk }}"></span>
        <span class="grow"></span>
        <span class="track">{{ row.tracking_number }}</span>
      </span>
    </a>
  </li>
{% empty %}
  <li class="empty">{{ texts.empty }}</li>
{% endfor %}
</ul>
"""


@pytest.mark.parametrize(("reader", "language"), [("ani", "id"), ("audi", "id"), ("ani", "en")])
def test_the_rows_are_the_templates_bytes(varied, reader, language):
    from django.template import engines

    client = getattr(varied, reader).client
    client.force_login(getattr(varied, reader).user)
    client.cookies["django_language"] = language
    shown = {}
    for query in ("status=all", "status=open", "q=tidak-ada-kasus-begini"):
        page = client.get(f"/w/bpn/rows?{query}")
        assert page.status_code == 200
        context = {name: page.context[name]
                   for name in ("rows", "texts", "can_write", "error")}
        expected = engines["django"].from_string(TEMPLATE_ROWS).render(context)
        assert page.content.decode() == expected
        shown[query] = expected.count('<li class="case-row')
    assert shown["status=all"] == len(varied.cases) and shown["q=tidak-ada-kasus-begini"] == 0


# The loops the menus had before `options_html` printed their options from Python: the page's
# form must stay what the template printed with them in place of the prepared markup.
MENU_LOOPS = {
    "{{ menus.channels }}": '{% for ch in channels %}<option value="{{ ch.pk }}"{% if filters.channel == ch.pk|stringformat:"d" %} selected{% endif %}>{{ ch }}</option>{% endfor %}',  # noqa: E501
    "{{ menus.statuses }}": '{% for v, label in statuses %}<option value="{{ v }}"{% if shown_status == v %} selected{% endif %}>{{ label }}</option>{% endfor %}',  # noqa: E501
    "{{ menus.kinds }}": '{% for v, label in kinds %}<option value="{{ v }}"{% if filters.kind == v %} selected{% endif %}>{{ label }}</option>{% endfor %}',  # noqa: E501
    "{{ menus.topics }}": '{% for v, label in topics %}<option value="{{ v }}"{% if filters.topic == v %} selected{% endif %}>{{ label }}</option>{% endfor %}',  # noqa: E501
    "{{ menus.intents }}": '{% for v, label in intents %}<option value="{{ v }}"{% if filters.intent == v %} selected{% endif %}>{{ label }}</option>{% endfor %}',  # noqa: E501
    "{{ menus.bulk_topics }}": '{% for v, label in topics %}<option value="{{ v }}">{{ label }}</option>{% endfor %}',  # noqa: E501
    "{{ menus.colleagues }}": '{% for person in colleagues %}<option value="{{ person.username }}">{{ person.get_full_name|default:person.username }}</option>{% endfor %}',  # noqa: E501
}


def _menus_template() -> str:
    """`web/inbox.html`'s filter form and bulk bar with the loops back in place."""
    from pathlib import Path

    source = (Path(__file__).parents[1] / "templates" / "web" / "inbox.html").read_text()
    form = source[source.index('<form class="filters"'):source.index('<div id="rows">')]
    for prepared, loop in MENU_LOOPS.items():
        assert form.count(prepared) == 1, prepared
        form = form.replace(prepared, loop)
    return "{% load i18n desk_fragments %}" + form


@pytest.mark.parametrize(("reader", "language"), [("ani", "id"), ("audi", "id"), ("ani", "en")])
def test_the_menus_are_the_templates_bytes(varied, reader, language):
    """The whole page's filter menus and bulk bar, against the template's loops, with each
    menu's choice picked (a colleague's name holds markup, from the fixture)."""
    from django.template import engines

    from tanggap.cases.language import INTENT_LABELS, TOPIC_LABELS
    from tanggap.cases.models import CaseKind, CaseStatus
    from tanggap.connectors.models import ChannelAccount
    from tanggap.roster import queries as roster_queries

    client = getattr(varied, reader).client
    client.force_login(getattr(varied, reader).user)
    client.cookies["django_language"] = language
    picked = (f"channel={varied.x.pk}&status=menunggu&kind=aduan&topic=penerangan_jalan"
              "&intent=saran&kasar=true&claimed=me&q=%3Cb%3E")
    for query in ("", picked, "status=all&channel=0&topic=tidak-ada"):
        page = client.get(f"/w/bpn/?{query}")
        assert page.status_code == 200
        context = {name: page.context[name] for name in (
            "filters", "shown_status", "membership")}
        context.update(
            channels=ChannelAccount.objects.filter(workspace_id=varied.bpn.pk),
            statuses=CaseStatus.choices, kinds=CaseKind.choices,
            topics=list(TOPIC_LABELS.items()), intents=list(INTENT_LABELS.items()),
            colleagues=roster_queries.members(varied.bpn.pk))
        expected = engines["django"].from_string(_menus_template()).render(context)
        html = page.content.decode()
        shown = html[html.index('<form class="filters"'):html.index('<div id="rows">')]
        assert shown == expected
        assert ('id="bulk-assign"' in shown) == (reader == "ani")
        if query == picked:
            assert f'<option value="{varied.x.pk}" selected>X PemkotBPN</option>' in shown
            assert shown.count(" selected>") == 7  # channel … claimed, each picked once


def test_the_inbox_asks_a_fixed_number_of_queries(desk, django_assert_num_queries):
    """The session, its user, the membership with its workspace, the page (with its overdue
    referrals), its offers and the SLA policies; the whole page adds the channels, the
    colleagues, the approvals waiting and whether the desk keeps a roster."""
    for i in range(3):
        desk.inbound(external_id=f"q{i}", author_id=f"q{i}")
    client = desk.ani.client
    client.force_login(desk.ani.user)
    with django_assert_num_queries(6):
        assert len(rows_of(client)) == 3
    with django_assert_num_queries(10):
        assert client.get("/w/bpn/").status_code == 200
    with django_assert_num_queries(3):  # the membership is the accessor's one query
        assert client.get("/w/nowhere/").status_code == 404
