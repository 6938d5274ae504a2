"""Hot paths keep a fixed number of queries however many cases and messages there are."""

from django.utils import timezone

from tanggap.cases.actions import claim_case


def _fill(desk, cases):
    now = timezone.now()
    for i in range(cases):
        case = desk.inbound(external_id=f"m{i}", author_id=f"w{i}").case
        desk.inbound(external_id=f"m{i}-b", author_id=f"w{i}")
        if i % 2:
            claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    return case


def test_case_list_query_count_is_flat(desk, django_assert_num_queries):
    _fill(desk, 3)
    desk.ani.get("/api/v1/cases")  # notes the token's first use (a write, once a minute at most)
    # token, the user's workspaces, one page of cases with holder and contact, their slugs
    with django_assert_num_queries(4):
        small = desk.ani.get("/api/v1/cases")
    for i in range(3, 12):
        desk.inbound(external_id=f"x{i}", author_id=f"v{i}")
    with django_assert_num_queries(4):
        large = desk.ani.get("/api/v1/cases")
    assert len(small.json()["results"]) == 3
    assert len(large.json()["results"]) == 12


def test_case_view_query_count_is_flat(desk, django_assert_num_queries):
    case = _fill(desk, 1)
    desk.ani.get(f"/api/v1/cases/{case.pk}")  # notes the token's first use
    # token, the case with its joins, the membership, the messages; its referrals, and for the
    # suggested body the bodies that declined it and the directory
    with django_assert_num_queries(7):
        response = desk.ani.get(f"/api/v1/cases/{case.pk}")
    assert len(response.json()["messages"]) == 2
