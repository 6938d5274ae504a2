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
    # token, the user's workspaces, one page of cases with holder and contact, their slugs, the
    # SLA policies of those workspaces (none: no clock is read), the open offers
    with django_assert_num_queries(6):
        small = desk.ani.get("/api/v1/cases")
    for i in range(3, 12):
        desk.inbound(external_id=f"x{i}", author_id=f"v{i}")
    with django_assert_num_queries(6):
        large = desk.ani.get("/api/v1/cases")
    assert len(small.json()["results"]) == 3
    assert len(large.json()["results"]) == 12


def test_case_view_query_count_is_flat(desk, django_assert_num_queries):
    case = _fill(desk, 1)
    desk.ani.get(f"/api/v1/cases/{case.pk}")  # notes the token's first use
    # token, the case with its joins, the membership, the messages; its referrals, and for the
    # suggested body the bodies that declined it and the directory; the SLA policies, the offer
    with django_assert_num_queries(9):
        response = desk.ani.get(f"/api/v1/cases/{case.pk}")
    assert len(response.json()["messages"]) == 2


def test_case_list_with_sla_clocks_stays_flat(desk):
    """With a policy, the clocks of a page cost the same few queries for 3 cases as for 12,
    whether they are stored or computed on the spot."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tanggap.sla.actions import set_policy
    from tanggap.sla.checks import check_workspace
    from tanggap.workspaces.models import Membership

    set_policy(membership=Membership(workspace=desk.bpn, role="admin"), actor=None,
               now=timezone.now(), name="Standar", first_response=60, resolution=1440)
    _fill(desk, 3)
    desk.ani.get("/api/v1/cases")

    def counted():
        with CaptureQueriesContext(connection) as queries:
            answer = desk.ani.get("/api/v1/cases")
        assert all(row["sla"] is not None for row in answer.json()["results"])
        return len(queries)

    computed_small = counted()
    for i in range(3, 12):
        desk.inbound(external_id=f"x{i}", author_id=f"v{i}")
    assert counted() == computed_small
    check_workspace(workspace=desk.bpn, now=timezone.now())  # stores the clocks
    assert counted() <= computed_small


def _inbound_body(desk, external_id, author_id):
    return {"channel_id": desk.web.pk, "external_id": external_id,
            "author": {"id": author_id, "name": "Warga"}, "text": "Air PDAM tidak mengalir"}


def test_inbound_query_count_is_fixed(desk, django_assert_num_queries):
    desk.gerbang.post("/api/v1/inbound", _inbound_body(desk, "m0", "w0"))  # notes the token's use
    # token + user + channel + membership in one; redelivery and contact in one; then the
    # contact, the case, its search document, its audit event, the roster's look whether the
    # workspace assigns cases (through cases.arrivals; its offer task only where one does: not
    # here) and the message (a savepoint pair around them here, where the test's own
    # transaction is open)
    with django_assert_num_queries(10):
        new = desk.gerbang.post("/api/v1/inbound", _inbound_body(desk, "m1", "w1"))
    assert new.status_code == 201
    # a follow-up: the open case instead of a new contact, UPDATEs of the case and its search
    # document instead of INSERTs; PostgreSQL also locks the contact's row and looks for the
    # platform id again after that wait (SQLite's BEGIN IMMEDIATE has serialised writers)
    from django.db import connection

    with django_assert_num_queries(11 if connection.features.has_select_for_update else 9):
        again = desk.gerbang.post("/api/v1/inbound", _inbound_body(desk, "m2", "w1"))
    assert again.json()["case_id"] == new.json()["case_id"]
    # a redelivery: token, the arrival check, the stored message with its case (and the
    # savepoint pair), nothing written
    with django_assert_num_queries(5):
        same = desk.gerbang.post("/api/v1/inbound", _inbound_body(desk, "m2", "w1"))
    assert (same.status_code, same.json()["message_id"]) == (200, again.json()["message_id"])



def test_claim_query_count_is_fixed(desk, django_assert_num_queries):
    first, second = (desk.inbound(external_id=f"c{i}", author_id=f"k{i}").case for i in (1, 2))
    desk.ani.post(f"/api/v1/cases/{first.pk}/claim")  # notes the token's first use
    # token; the caller's membership of the case's workspace, with the workspace and so its
    # lease (the access check, one query); then, in a savepoint pair here (the test's
    # transaction is open), the case under its lock, the UPDATE and the audit event
    with django_assert_num_queries(7):
        claimed = desk.ani.post(f"/api/v1/cases/{second.pk}/claim")
    assert claimed.json()["claimed_by"] == "ani"
    # a renewal (the desk's heartbeat while an operator keeps a case open): the same without
    # the audit event, and the answer names the holder without loading them again
    with django_assert_num_queries(6):
        renewed = desk.ani.post(f"/api/v1/cases/{second.pk}/claim")
    assert (renewed.json()["claimed_by"], renewed.json()["version"]) == (
        "ani", claimed.json()["version"])
