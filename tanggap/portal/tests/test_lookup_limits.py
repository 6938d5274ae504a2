"""GET /lapor/status/<number>/ is throttled: misses per address, and misses per number space
across all addresses, so tracking numbers cannot be guessed by brute force."""

from __future__ import annotations

import pytest

from tanggap.cases.models import Case
from tanggap.portal import spam
from tanggap.portal.models import RateLimitBucket
from tanggap.portal.tests.conftest import form_data

TOO_MANY = "Too many tracking numbers were checked in the last few minutes."


def _case(client, desk, number=None) -> Case:
    client.post("/lapor/bpn/", form_data(), REMOTE_ADDR="192.0.2.250")
    case = Case.objects.order_by("-pk").first()
    if number:
        Case.objects.filter(pk=case.pk).update(tracking_number=number)
        case.refresh_from_db()
    return case


def _look(client, number, address):
    return client.get(f"/lapor/status/{number}/", REMOTE_ADDR=address)


def _assert_refused(response):
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    page = response.content.decode()
    assert TOO_MANY in page
    assert "Please try again in 10 minutes." in page
    assert '<meta name="robots" content="noindex">' in page
    return page


def test_misses_from_one_address_are_limited(client, desk):
    case = _case(client, desk)
    for n in range(spam.LOOKUP_MISSES_PER_ADDRESS):
        assert _look(client, f"TG-0000-0000-{n:04d}", "203.0.113.7").status_code == 404
    page = _assert_refused(_look(client, case.tracking_number, "203.0.113.7"))
    assert "status-card" not in page and "Lampu jalan" not in page  # nothing is looked up
    # Another address is not held up, and a malformed number counts as a miss too.
    assert _look(client, case.tracking_number, "203.0.113.8").status_code == 200
    _assert_refused(_look(client, "bukan-nomor", "203.0.113.7"))


def test_looking_up_an_existing_number_costs_nothing(client, desk):
    case = _case(client, desk)
    for _ in range(spam.LOOKUP_MISSES_PER_ADDRESS * 3):
        assert _look(client, case.tracking_number, "203.0.113.7").status_code == 200
    assert set(RateLimitBucket.objects.values_list("hits", flat=True)) == {0, 1}  # 1: the report


def test_malformed_numbers_count_against_the_address(client, desk):
    for _ in range(spam.LOOKUP_MISSES_PER_ADDRESS):
        assert _look(client, "<b>x", "203.0.113.7").status_code == 404
    _assert_refused(_look(client, "TG-0000-0000-0000", "203.0.113.7"))


@pytest.fixture
def small_spaces(monkeypatch):
    monkeypatch.setattr(spam, "LOOKUP_MISSES_PER_SPACE", {8: 3, 12: 5})


def test_misses_across_many_addresses_close_only_their_number_space(client, desk, small_spaces):
    old = _case(client, desk, number="TG-AB12-CD34")
    new = _case(client, desk)
    for n in range(3):  # a botnet: every guess from another address
        assert _look(client, f"TG-0000-000{n}", f"198.51.100.{n}").status_code == 404
    _assert_refused(_look(client, old.tracking_number, "198.51.100.99"))
    # Holders of the longer numbers are not held up by guessing in the short space.
    assert _look(client, new.tracking_number, "198.51.100.99").status_code == 200
    for n in range(5):
        assert _look(client, f"TG-0000-0000-000{n}", f"198.51.101.{n}").status_code == 404
    _assert_refused(_look(client, new.tracking_number, "198.51.100.98"))


def test_a_refused_lookup_takes_no_slot_from_the_other_limit(client, desk, small_spaces):
    # The address is spent: its refusals must not eat the space's budget meant for others.
    for n in range(spam.LOOKUP_MISSES_PER_ADDRESS):
        _look(client, f"bukan-{n}", "203.0.113.7")
    for _ in range(10):
        _assert_refused(_look(client, "TG-0000-0000", "203.0.113.7"))
    old = _case(client, desk, number="TG-AB12-CD34")
    assert _look(client, old.tracking_number, "203.0.113.9").status_code == 200
    assert _look(client, "TG-0000-0001", "203.0.113.9").status_code == 404


def test_a_status_page_costs_a_fixed_number_of_queries(client, desk, django_assert_num_queries):
    case = _case(client, desk)
    _look(client, case.tracking_number, "203.0.113.7")  # the buckets exist from now on
    # Expired buckets dropped; a transaction (a savepoint inside the test's) locking and
    # counting two buckets; the case, its portal flags, its messages, its referral trail; both
    # slots given back.
    with django_assert_num_queries(12):
        assert _look(client, case.tracking_number, "203.0.113.7").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_racing_requests_never_take_more_slots_than_the_limit():
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections
    from django.utils import timezone

    from tanggap.portal.actions import take_rate_limit_slots

    now = timezone.now()
    barrier = threading.Barrier(12)
    slots = [("race-address", 5), ("race-space", 8)]

    def take(_):
        try:
            barrier.wait()
            return take_rate_limit_slots(slots=slots, now=now)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=12) as pool:
        taken = list(pool.map(take, range(12)))
    assert taken.count(True) == 5
    assert dict(RateLimitBucket.objects.values_list("key", "hits")) == {
        "race-address": 5, "race-space": 5}
