"""A real `tanggap serve` (uvicorn), and X-Forwarded-For forged from 127.0.0.1: the rate limit
must count what TANGGAP_TRUSTED_PROXIES says, not what uvicorn's defaults would believe."""

from __future__ import annotations

import httpx
import pytest

from tanggap.portal import spam
from tanggap.testing.liveserver import LiveServer, set_up_desk

pytestmark = pytest.mark.slow


def _serve(**env) -> LiveServer:
    server = LiveServer.temporary(prefix="tanggap-proxy-", extra_env=env)
    try:
        set_up_desk(server, operators=[])
        server.start(worker=False)
    except BaseException:
        server.close()
        raise
    return server


def _misses(server: LiveServer, headers_for) -> list[int]:
    """Look up unknown numbers until one past the per-address limit; the status codes."""
    with httpx.Client(base_url=server.url, timeout=10) as http:
        return [http.get(f"/lapor/status/TG-0000-0000-{n:04d}/",
                         headers=headers_for(n)).status_code
                for n in range(spam.LOOKUP_MISSES_PER_ADDRESS + 1)]


def test_forged_forwarded_for_from_loopback_is_ignored_by_default():
    with _serve() as server:
        codes = _misses(server, lambda n: {"X-Forwarded-For": f"198.51.100.{n}"})
    assert codes == [404] * spam.LOOKUP_MISSES_PER_ADDRESS + [429]


def test_a_configured_proxy_is_believed_only_for_the_address_it_appends():
    with _serve(TANGGAP_TRUSTED_PROXIES="127.0.0.1") as server:
        # The client forges the left part; our proxy (this test, on 127.0.0.1) appends the
        # address it saw, which stays the same: one client, limited.
        codes = _misses(server, lambda n: {"X-Forwarded-For": f"6.6.6.{n}, 198.51.100.9"})
        assert codes == [404] * spam.LOOKUP_MISSES_PER_ADDRESS + [429]
        # Another client behind the same proxy has its own limit.
        with httpx.Client(base_url=server.url, timeout=10) as http:
            other = http.get("/lapor/status/TG-0000-0000-0000/",
                             headers={"X-Forwarded-For": "198.51.100.10"})
        assert other.status_code == 404
        # No header from the proxy: counted under the proxy's address, and the log says so.
        with httpx.Client(base_url=server.url, timeout=10) as http:
            assert http.get("/lapor/status/TG-0000-0000-0000/").status_code == 404
        assert "without a usable X-Forwarded-For" in server.log_path.read_text()
