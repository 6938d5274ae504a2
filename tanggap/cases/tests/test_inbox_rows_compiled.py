"""The inbox page from its statement compiled once per shape (`queries.inbox_rows`,
tanggap.conf.compiled) gives the ORM's rows: the same cases in the same order, the same values
of the same types, for every filter and after the shape was compiled with another request's
values (another workspace, reader, moment, cursor)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tanggap.cases import queries
from tanggap.cases.actions import claim_case
from tanggap.cases.models import Case
from tanggap.conf import compiled

COLUMNS = ("pk", "workspace_id", "status", "kind", "topic", "kasar", "claimed_by_id",
           "claimed_by__username", "claim_expires_at", "last_inbound_at", "created_at",
           "triage_reasons", "triage_suggestions", "contact__display_name", "last_text")
ANNOTATE = {"last_text": queries.last_inbound_text}

FILTERS = [
    {}, {"status": "all"}, {"status": "menunggu"}, {"status": "open", "claimed": "true"},
    {"claimed": "false"}, {"claimed": "me"}, {"kind": "aduan"}, {"topic": "air_bersih"},
    {"kasar": "true"}, {"kasar": "false"}, {"channel": "CHANNEL"},
    {"channel": "CHANNEL", "intent": "aduan"},
    {"status": "all", "kind": "aduan", "kasar": "no"},
]


def _cases(desk, now):
    cases = [desk.inbound(external_id=f"m{i}", author_id=f"w{i}", text=f"keluhan nomor {i}",
                          now=now - timedelta(minutes=i)).case for i in range(6)]
    luar = [desk.inbound(external_id=f"d{i}", author_id=f"d{i}", channel=desk.dlh_web,
                         now=now - timedelta(minutes=i)).case for i in range(3)]
    claim_case(case_id=cases[0].pk, actor=desk.ani.user, now=now)
    claim_case(case_id=cases[1].pk, actor=desk.budi.user, now=now)
    claim_case(case_id=luar[0].pk, actor=desk.luar.user, now=now)
    Case.objects.filter(pk=cases[2].pk).update(status="menunggu", kasar=True,
                                               triage_reasons=["kata kasar"])
    Case.objects.filter(pk=cases[3].pk).update(status="selesai", topic="air_bersih",
                                               triage_suggestions=[{"topic": "air_bersih",
                                                                    "confidence": 0.5}])
    Case.objects.filter(pk=cases[4].pk).update(kind="aduan", topic="air_bersih", intent="aduan")
    return cases, luar


def _typed(rows):
    return [[(value, type(value), getattr(value, "tzinfo", None)) for value in row]
            for row in rows]


@pytest.mark.parametrize("filters", FILTERS)
def test_the_compiled_page_is_the_orms(desk, filters):
    now = timezone.now()
    _cases(desk, now)
    for persona, workspace in ((desk.ani, desk.bpn), (desk.budi, desk.bpn),
                               (desk.luar, desk.dlh), (desk.ani, desk.bpn)):
        for moment in (now, now + timedelta(days=2)):
            channel = desk.web if workspace == desk.bpn else desk.dlh_web
            found = queries.inbox_filter(workspace_ids=[workspace.pk], now=moment,
                                         user=persona.user, **{
                                             key: str(channel.pk) if value == "CHANNEL" else value
                                             for key, value in filters.items()})
            orm = list(queries.filtered_cases(found).annotate(last_text=ANNOTATE["last_text"]())
                       .values_list(*COLUMNS)[:4])
            page = queries.inbox_rows(found, COLUMNS, 4, key="test", annotate=ANNOTATE)
            assert _typed(page) == _typed(orm)
            assert {row[1] for row in page} <= {workspace.pk}


def test_the_cursor_pages_as_the_orm_does(desk):
    now = timezone.now()
    cases, _luar = _cases(desk, now)
    found = queries.inbox_filter(workspace_ids=[desk.bpn.pk, desk.dlh.pk], now=now,
                                 status="all")
    seen, cursor = [], None
    while True:
        orm = list(queries.after_cursor(queries.filtered_cases(found), cursor)
                   .values_list("pk", "last_inbound_at")[:2])
        page = queries.inbox_rows(found, ("pk", "last_inbound_at"), 2, key="test",
                                  cursor=cursor)
        assert _typed(page) == _typed(orm)
        if not page:
            break
        seen += [pk for pk, _at in page]
        cursor = f"{page[-1][1].isoformat()}_{page[-1][0]}"
    assert len(seen) == len(set(seen)) == 9 and set(seen) >= {c.pk for c in cases}


def test_no_workspace_no_rows_and_no_query(desk, django_assert_num_queries):
    desk.inbound()
    found = queries.inbox_filter(workspace_ids=[], now=timezone.now())
    with django_assert_num_queries(0):
        assert queries.inbox_rows(found, COLUMNS, 10, key="test", annotate=ANNOTATE) == []


def test_a_search_still_goes_through_the_orm(desk):
    now = timezone.now()
    _cases(desk, now)
    found = queries.inbox_filter(workspace_ids=[desk.bpn.pk], now=now, q="keluhan")
    orm = list(queries.filtered_cases(found).values_list("pk")[:4])
    assert queries.inbox_rows(found, ("pk",), 4, key="test.search") == orm and len(orm) == 4
    assert not [key for key in compiled._plans if key[0][0] == "test.search"]


def test_a_marker_the_sql_reshapes_is_refused_not_sent(desk):
    desk.inbound()

    def build(values):
        return Case.objects.filter(tracking_number__icontains=values["word"]).values_list("pk")

    with pytest.raises(ValueError, match="marker"):
        compiled.rows("test.icontains", build, {"word": "TGP"})


def test_values_of_a_kind_without_markers_are_refused(desk):
    with pytest.raises(TypeError, match="key"):
        compiled.rows("test.bool", lambda v: Case.objects.filter(kasar=v["kasar"])
                      .values_list("pk"), {"kasar": True})


def test_the_shapes_kept_are_bounded(desk, monkeypatch):
    monkeypatch.setattr(compiled, "MAX_SHAPES", 3)
    monkeypatch.setattr(compiled, "_plans", {})
    desk.inbound()
    for limit in range(1, 6):
        found = queries.inbox_filter(workspace_ids=[desk.bpn.pk], now=timezone.now())
        assert len(queries.inbox_rows(found, ("pk",), limit, key="test")) == 1
    assert len(compiled._plans) == 3
