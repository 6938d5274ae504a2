"""Spam defences of POST /lapor/<slug>/: honeypot, minimum fill time, rate limit per address."""

from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tanggap.cases.models import Case, Contact, Message
from tanggap.conf.proxies import parse_trusted_proxies
from tanggap.portal import spam
from tanggap.portal.actions import consume_rate_limit
from tanggap.portal.models import RateLimitBucket, Submission
from tanggap.portal.tests.conftest import PNG_BYTES, form_data, stored_files

TOO_MANY = "Too many reports were sent from your connection."


def _stored() -> tuple[int, int, int, int]:
    return (Case.objects.count(), Message.objects.count(), Contact.objects.count(),
            Submission.objects.count())


def test_honeypot_looks_like_success_but_stores_nothing(client, desk):
    response = client.post("/lapor/bpn/", form_data(website="http://murah.example"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Thank you, your report has been received." in page
    assert 'id="tracking-number">TG-' in page
    assert _stored() == (0, 0, 0, 0)
    assert RateLimitBucket.objects.count() == 0


def test_too_fast_submission_is_refused_and_can_be_sent_again(client, desk):
    data = form_data(age_seconds=1)
    response = client.post("/lapor/bpn/", data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "That was sent too quickly. Wait a few seconds and send it again." in page
    assert f'value="{data["form_token"]}"' in page  # the same form passes once time has run
    assert _stored() == (0, 0, 0, 0)


def test_expired_or_forged_token_is_refused_with_a_fresh_one(client, desk):
    for token in (form_data(age_seconds=25 * 3600)["form_token"], "forged:123:abc", ""):
        response = client.post("/lapor/bpn/", form_data(form_token=token))
        page = response.content.decode()
        assert "This form was open too long." in page
        (fresh,) = re.findall(r'name="form_token" value="([^"]*)"', page)
        assert fresh != token
        assert spam.read_form_token(fresh) is not None
    assert _stored() == (0, 0, 0, 0)


def test_token_minimum_age_boundary():
    now = timezone.now()
    fresh = spam.read_form_token(spam.issue_form_token(now - timedelta(seconds=3)))
    assert spam.form_age(fresh, now) == timedelta(seconds=3)
    assert spam.read_form_token(spam.issue_form_token(now) + "x") is None


def test_rate_limit_refuses_the_sixth_submission_from_one_address(client, desk):
    for n in range(5):
        response = client.post("/lapor/bpn/", form_data(text=f"Laporan {n}"),
                               REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 200
    sixth = client.post("/lapor/bpn/", form_data(text="Laporan 6"), REMOTE_ADDR="203.0.113.7")

    assert sixth.status_code == 429
    assert TOO_MANY in sixth.content.decode()
    assert Case.objects.count() == 5
    other = client.post("/lapor/bpn/", form_data(text="Dari alamat lain"),
                        REMOTE_ADDR="203.0.113.8")
    assert other.status_code == 200
    assert Case.objects.count() == 6


def test_rate_limit_counts_across_workspaces(client, desk):
    for n in range(5):
        client.post("/lapor/bpn/", form_data(text=f"Laporan {n}"), REMOTE_ADDR="203.0.113.7")
    response = client.post("/lapor/dlh/", form_data(), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429


def test_invalid_forms_do_not_use_up_the_limit(client, desk):
    for _ in range(6):
        client.post("/lapor/bpn/", form_data(text=""), REMOTE_ADDR="203.0.113.7")
    response = client.post("/lapor/bpn/", form_data(), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    assert Case.objects.count() == 1


def test_rate_limit_window_reopens_after_ten_minutes(db):
    start = timezone.now()
    key = spam.rate_limit_key("203.0.113.7")
    assert [consume_rate_limit(key=key, now=start) for _ in range(6)] == [True] * 5 + [False]
    assert consume_rate_limit(key=key, now=start + timedelta(minutes=9, seconds=59)) is False
    assert consume_rate_limit(key=key, now=start + timedelta(minutes=10)) is True
    bucket = RateLimitBucket.objects.get()
    assert (bucket.window_started_at, bucket.hits) == (start + timedelta(minutes=10), 1)


def test_stale_buckets_of_other_addresses_are_dropped(db):
    start = timezone.now()
    consume_rate_limit(key=spam.rate_limit_key("203.0.113.1"), now=start)
    consume_rate_limit(key=spam.rate_limit_key("203.0.113.2"), now=start + timedelta(minutes=11))
    assert list(RateLimitBucket.objects.values_list("key", flat=True)) == [
        spam.rate_limit_key("203.0.113.2")]


def test_buckets_never_hold_the_address(client, desk):
    client.post("/lapor/bpn/", form_data(), REMOTE_ADDR="203.0.113.7")
    (key,) = RateLimitBucket.objects.values_list("key", flat=True)
    assert "203.0.113.7" not in key and len(key) == 64


def _six_reports(client, **headers):
    for n in range(6):
        response = client.post("/lapor/bpn/", form_data(text=f"L{n}"), **{
            key: value.format(n=n) for key, value in headers.items()})
    return response


def test_forged_forwarded_for_from_loopback_is_ignored_by_default(client, desk):
    # Without TANGGAP_TRUSTED_PROXIES, a bot rotating X-Forwarded-For still counts as one
    # address, even from 127.0.0.1 (where uvicorn's own default would have believed it).
    sixth = _six_reports(client, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.{n}")
    assert sixth.status_code == 429
    assert RateLimitBucket.objects.get().key == spam.rate_limit_key("127.0.0.1")


def test_forwarded_for_is_read_from_the_trusted_proxy_count(client, desk, settings):
    settings.TANGGAP_TRUSTED_PROXIES = parse_trusted_proxies("1")
    # The client may prepend anything; the proxy appends the address it saw.
    sixth = _six_reports(client, REMOTE_ADDR="127.0.0.1",
                         HTTP_X_FORWARDED_FOR="1.2.3.{n}, 198.51.100.9")
    assert sixth.status_code == 429
    response = client.post("/lapor/bpn/", form_data(text="lain"), REMOTE_ADDR="127.0.0.1",
                           HTTP_X_FORWARDED_FOR="198.51.100.9, 198.51.100.10")
    assert response.status_code == 200


def test_forwarded_for_is_read_only_from_a_trusted_proxy_address(client, desk, settings):
    settings.TANGGAP_TRUSTED_PROXIES = parse_trusted_proxies("127.0.0.1, 10.0.0.0/8")
    sixth = _six_reports(client, REMOTE_ADDR="127.0.0.1",
                         HTTP_X_FORWARDED_FOR="1.2.3.{n}, 198.51.100.9, 10.1.2.3")
    assert sixth.status_code == 429
    assert client.post("/lapor/bpn/", form_data(text="lain"), REMOTE_ADDR="127.0.0.1",
                       HTTP_X_FORWARDED_FOR="198.51.100.10").status_code == 200
    # Straight from the internet, not through the proxy: the header is the client's own words.
    sixth = _six_reports(client, REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR="192.0.2.{n}")
    assert sixth.status_code == 429


def test_a_trusted_proxy_without_the_header_is_logged_not_silently_shared(client, desk, settings,
                                                                          caplog):
    settings.TANGGAP_TRUSTED_PROXIES = parse_trusted_proxies("127.0.0.1")
    with caplog.at_level(logging.WARNING, logger="tanggap.proxies"):
        response = client.post("/lapor/bpn/", form_data(), REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    (record,) = [r for r in caplog.records if r.name == "tanggap.proxies"]
    assert record.getMessage().startswith(
        "A request from 127.0.0.1 came through the proxies of TANGGAP_TRUSTED_PROXIES without a "
        "usable X-Forwarded-For ('')")
    assert RateLimitBucket.objects.get().key == spam.rate_limit_key("127.0.0.1")


def test_ipv6_addresses_in_one_slash_64_share_a_limit():
    assert spam.rate_limit_key("2001:db8:1:2::1") == spam.rate_limit_key("2001:db8:1:2:ffff::9")
    assert spam.rate_limit_key("2001:db8:1:2::1") != spam.rate_limit_key("2001:db8:1:3::1")
    assert spam.rate_limit_key("::ffff:203.0.113.7") == spam.rate_limit_key("203.0.113.7")


ALREADY_SENT = "This form was already sent. Check your message and send it again to make a new report."


def test_a_used_form_token_is_refused_for_another_report_and_nothing_is_stored(client, desk,
                                                                               uploads):
    data = form_data()
    client.post("/lapor/bpn/", data)
    (case,) = Case.objects.all()
    for workspace in ("bpn", "dlh"):  # the token is spent everywhere, not only on its own form
        replay = client.post(f"/lapor/{workspace}/", {
            **data, "text": "Laporan lain dengan formulir yang sama.",
            "photo": SimpleUploadedFile("a.png", PNG_BYTES)})

        page = replay.content.decode()
        assert replay.status_code == 409
        assert ALREADY_SENT in page
        (fresh,) = re.findall(r'name="form_token" value="([^"]*)"', page)
        assert spam.read_form_token(fresh).nonce != spam.read_form_token(data["form_token"]).nonce
        assert "Laporan lain dengan formulir yang sama." in page  # the citizen's words are kept
    assert list(Case.objects.all()) == [case]
    assert _stored() == (1, 1, 1, 1)
    assert stored_files(uploads) == []


def test_the_same_form_sent_again_unchanged_answers_with_its_tracking_number(client, desk):
    # A double tap on a slow connection: the citizen must still learn their number.
    data = form_data()
    client.post("/lapor/bpn/", data)
    again = client.post("/lapor/bpn/", data)
    (case,) = Case.objects.all()
    assert again.status_code == 200
    assert f'id="tracking-number">{case.tracking_number}<' in again.content.decode()
    assert _stored() == (1, 1, 1, 1)


def test_a_fresh_token_passes_its_own_minimum_fill_time(client, desk):
    data = form_data()
    client.post("/lapor/bpn/", data)
    page = client.post("/lapor/bpn/", {**data, "text": "Laporan kedua."}).content.decode()
    (fresh,) = re.findall(r'name="form_token" value="([^"]*)"', page)

    too_fast = client.post("/lapor/bpn/", {**data, "text": "Laporan kedua.", "form_token": fresh})
    assert "That was sent too quickly." in too_fast.content.decode()
    assert Case.objects.count() == 1


def test_two_reports_racing_on_one_token_store_one(tx_desk):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from tanggap.portal.actions import FormAlreadyUsed, submit_report
    from tanggap.portal.forms import Report

    barrier = threading.Barrier(4)

    def send(n):
        report = Report(nonce="a" * 32, kind="aduan", text=f"Laporan {n}", name="", contact="",
                        anonymous=False, confidential=False, latitude=None, longitude=None,
                        address="", photo=None)
        try:
            barrier.wait()
            return submit_report(channel=tx_desk.web, report=report, now=timezone.now())
        except FormAlreadyUsed:
            return None
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(send, range(4)))
    assert sum(result is not None for result in results) == 1
    assert _stored() == (1, 1, 1, 1)
