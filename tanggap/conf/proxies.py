"""Which address a request came from: the one rule for trusting reverse proxies.

`X-Forwarded-For` is written by whoever sends the request, so it is ignored unless
TANGGAP_TRUSTED_PROXIES names the proxies in front of the desk (docs/configuration.md):

- unset, empty or `0`: the TCP peer is the client; the header is never read.
- a count N (`1` behind one nginx or Caddy): each proxy appends the address it saw, so the client
  is the N-th entry from the right. Entries further left are whatever the client sent.
- a list of proxy addresses or networks (`127.0.0.1, 10.0.0.0/8`): the header is read only when
  the TCP peer is one of them, from the right, skipping entries that are themselves trusted
  proxies; the first other entry is the client.

When proxies are configured but a request from them carries no usable header (a proxy that does
not append, or one in front of it that strips), the request is counted under the peer's address
and a warning says so, instead of every citizen silently sharing the proxy's rate limit.

ClientAddressMiddleware applies the rule once per request and writes the result to
REMOTE_ADDR, so every reader of REMOTE_ADDR (the portal's rate limits, login throttling, logs)
follows it; `tanggap serve` tells uvicorn to ignore proxy headers, so uvicorn's own default
(trust `X-Forwarded-For` from 127.0.0.1) never applies a second, different rule.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("tanggap.proxies")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class TrustedProxies:
    count: int = 0
    networks: tuple[Network, ...] = ()

    @property
    def configured(self) -> bool:
        return self.count > 0 or bool(self.networks)

    def trusts(self, address: Address | None) -> bool:
        return address is not None and any(address in network for network in self.networks)


def parse_trusted_proxies(raw: str, *, name: str = "TANGGAP_TRUSTED_PROXIES") -> TrustedProxies:
    """`""`/`"0"` → none, `"2"` → a count, `"127.0.0.1, 10.0.0.0/8"` → addresses and networks."""
    value = (raw or "").strip()
    if value in ("", "0"):
        return TrustedProxies()
    if value.lstrip("+-").isdigit():
        count = int(value)
        if count < 0:
            raise ImproperlyConfigured(f"{name} must not be negative; got {raw!r}")
        return TrustedProxies(count=count)
    networks = []
    for item in value.split(","):
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must be a number of proxies or a comma-separated list of proxy "
                f"addresses or networks (such as 127.0.0.1, 10.0.0.0/8); {item.strip()!r} is "
                f"neither") from None
    return TrustedProxies(networks=tuple(networks))


def _ip(text: str) -> Address | None:
    """An address as a proxy writes it: bare, or with a port (`1.2.3.4:5678`, `[::1]:5678`)."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


_hinted_unconfigured = False


def client_address(peer: str, forwarded_for: str, proxies: TrustedProxies) -> str:
    """The client's address for a request from TCP peer `peer` with this X-Forwarded-For."""
    if not proxies.configured:
        _hint_unconfigured(peer, forwarded_for)
        return peer
    peer_ip = _ip(peer)
    if proxies.networks and not proxies.trusts(peer_ip):
        return peer  # not through our proxy: whatever the header says was written by the client
    hops = [hop for hop in (forwarded_for or "").split(",") if hop.strip()]
    if proxies.count:
        candidate = hops[-proxies.count] if len(hops) >= proxies.count else None
    else:
        untrusted = [hop for hop in hops if not proxies.trusts(_ip(hop))]
        candidate = untrusted[-1] if untrusted else None
    client = _ip(candidate) if candidate is not None else None
    if client is None:
        logger.warning(
            "A request from %s came through the proxies of TANGGAP_TRUSTED_PROXIES without a "
            "usable X-Forwarded-For (%r); it is counted under %s. Make the proxy append the "
            "client's address, or correct TANGGAP_TRUSTED_PROXIES.", peer, forwarded_for, peer)
        return peer
    return str(client)


def _hint_unconfigured(peer: str, forwarded_for: str) -> None:
    """Once per process: a proxy on this host or network seems to be in front of the desk, but
    nothing says to trust it, so every client behind it counts as that one address."""
    global _hinted_unconfigured
    peer_ip = _ip(peer)
    if (_hinted_unconfigured or not forwarded_for or peer_ip is None
            or not (peer_ip.is_loopback or peer_ip.is_private)):
        return
    _hinted_unconfigured = True
    logger.warning(
        "X-Forwarded-For from %s is ignored: TANGGAP_TRUSTED_PROXIES is not set, so every "
        "client behind that proxy counts as %s (one rate limit for all). If a proxy you run "
        "appends the header, name it in TANGGAP_TRUSTED_PROXIES.", peer, peer)


class ClientAddressMiddleware:
    """Put the client's address, by the rule above, in REMOTE_ADDR. First in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META["REMOTE_ADDR"] = client_address(
            request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", ""),
            settings.TANGGAP_TRUSTED_PROXIES)
        return self.get_response(request)
