"""Debian's Chromium driven by Playwright, for the real-browser tests.

Never `playwright install` (it downloads a browser); the tests skip when /usr/bin/chromium is
absent (apt-get install chromium).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tanggap.testing import WAIT_SECONDS
from tanggap.testing.liveserver import LiveServer, ServerFailed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]

# A browser context's default timeout: the bound on any wait in a browser test.
WAIT_MS = WAIT_SECONDS * 1000

needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM),
                       reason=f"{CHROMIUM} is absent (apt-get install chromium)"),
]


@contextmanager
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def served(request, *, prefix: str,
           prepare: Callable[[LiveServer], Any]) -> Iterator[tuple[LiveServer, Any]]:
    """A temporary server for one test module: `prepare(server)` sets it up with the CLI, then it
    serves; on the way out it stops, printing its log if a test of the module failed."""
    server = LiveServer.temporary(prefix=prefix)
    failed_before = request.session.testsfailed
    try:
        prepared = prepare(server)
        server.start()
        yield server, prepared
    except ServerFailed as exc:
        pytest.fail(str(exc))
    finally:
        server.stop()
        if request.session.testsfailed > failed_before:
            print(server.log_tail())
        server.close()
