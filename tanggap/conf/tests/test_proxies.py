"""The one rule for trusting reverse proxies (tanggap/conf/proxies.py)."""

from __future__ import annotations

import ipaddress
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from tanggap.conf import proxies
from tanggap.conf.proxies import TrustedProxies, client_address, parse_trusted_proxies


@pytest.mark.parametrize(("raw", "expected"), [
    ("", TrustedProxies()),
    ("  ", TrustedProxies()),
    ("0", TrustedProxies()),
    ("1", TrustedProxies(count=1)),
    (" 2 ", TrustedProxies(count=2)),
    ("127.0.0.1", TrustedProxies(networks=(ipaddress.ip_network("127.0.0.1/32"),))),
    ("127.0.0.1, 10.0.0.0/8,::1", TrustedProxies(networks=(
        ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128")))),
])
def test_parse(raw, expected):
    assert parse_trusted_proxies(raw) == expected


@pytest.mark.parametrize(("raw", "message"), [
    ("-1", "TANGGAP_TRUSTED_PROXIES must not be negative; got '-1'"),
    ("nginx", "'nginx' is neither"),
    ("127.0.0.1, ", "'' is neither"),
    ("10.0.0.0/33", "'10.0.0.0/33' is neither"),
])
def test_parse_refuses_what_it_cannot_read(raw, message):
    with pytest.raises(ImproperlyConfigured, match=message.replace("(", r"\(")):
        parse_trusted_proxies(raw)


NONE = TrustedProxies()
ONE = parse_trusted_proxies("1")
TWO = parse_trusted_proxies("2")
LOCAL = parse_trusted_proxies("127.0.0.1, 10.0.0.0/8, ::1")


@pytest.mark.parametrize(("peer", "header", "trusted", "client"), [
    # Not configured: the header never counts, from loopback neither.
    ("127.0.0.1", "198.51.100.7", NONE, "127.0.0.1"),
    ("203.0.113.5", "198.51.100.7", NONE, "203.0.113.5"),
    # A count: the N-th entry from the right.
    ("127.0.0.1", "6.6.6.6, 198.51.100.7", ONE, "198.51.100.7"),
    ("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.0.0.2", TWO, "198.51.100.7"),
    ("127.0.0.1", "198.51.100.7:5123", ONE, "198.51.100.7"),
    ("127.0.0.1", "[2001:db8::7]:5123", ONE, "2001:db8::7"),
    ("127.0.0.1", "2001:db8::7", ONE, "2001:db8::7"),
    # Addresses: only from a listed peer, skipping listed hops from the right.
    ("127.0.0.1", "6.6.6.6, 198.51.100.7", LOCAL, "198.51.100.7"),
    ("::1", "6.6.6.6, 198.51.100.7, 10.9.8.7", LOCAL, "198.51.100.7"),
    ("10.1.1.1", "127.0.0.1, 198.51.100.7", LOCAL, "198.51.100.7"),
    ("203.0.113.5", "198.51.100.7", LOCAL, "203.0.113.5"),
])
def test_client_address(peer, header, trusted, client):
    assert client_address(peer, header, trusted) == client


@pytest.mark.parametrize(("header", "trusted"), [
    ("", ONE), ("", LOCAL),
    ("198.51.100.7", TWO),                 # fewer hops than proxies: one did not append
    ("10.0.0.2, 127.0.0.1", LOCAL),        # only our own proxies in it
    ("6.6.6.6, unknown", ONE),             # not an address
    ("6.6.6.6, unknown", LOCAL),
])
def test_a_trusted_peer_without_a_usable_header_counts_as_itself_and_says_so(caplog, header,
                                                                            trusted):
    with caplog.at_level(logging.WARNING, logger="tanggap.proxies"):
        assert client_address("127.0.0.1", header, trusted) == "127.0.0.1"
    (record,) = caplog.records
    assert "without a usable X-Forwarded-For" in record.getMessage()
    assert "counted under 127.0.0.1" in record.getMessage()


def test_an_ignored_header_from_a_local_proxy_is_pointed_out_once(caplog, monkeypatch):
    monkeypatch.setattr(proxies, "_hinted_unconfigured", False)
    with caplog.at_level(logging.WARNING, logger="tanggap.proxies"):
        client_address("8.8.8.8", "198.51.100.7", NONE)  # a public peer: no proxy of ours
        client_address("127.0.0.1", "", NONE)
        for _ in range(3):
            client_address("127.0.0.1", "198.51.100.7", NONE)
    (record,) = caplog.records
    assert record.getMessage().startswith(
        "X-Forwarded-For from 127.0.0.1 is ignored: TANGGAP_TRUSTED_PROXIES is not set")
