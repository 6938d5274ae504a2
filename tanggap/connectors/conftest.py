"""Test settings of the connectors room: known webhook secrets, and base URLs that point at a
closed local port, so a test that forgot its fake fails at once instead of reaching a platform."""

import pytest
from django.test import Client
from django.utils import timezone

from tanggap.connectors.testing.fakes import APP_SECRET, VERIFY_TOKEN
from tanggap.connectors.testing.fakeserver import FakePlatformServer
from tanggap.workspaces.actions.members import add_member


@pytest.fixture(autouse=True)
def _connector_settings(settings):
    settings.META_APP_SECRET = APP_SECRET
    settings.META_INSTAGRAM_APP_SECRET = ""
    settings.META_VERIFY_TOKEN = VERIFY_TOKEN
    settings.META_GRAPH_BASE_URL = "http://127.0.0.1:9"
    settings.INSTAGRAM_GRAPH_BASE_URL = "http://127.0.0.1:9"
    settings.X_API_BASE_URL = "http://127.0.0.1:9"
    settings.X_CLIENT_ID = ""
    settings.X_CLIENT_SECRET = ""
    settings.X_TOKEN_REFRESH_MARGIN_SECONDS = 300
    settings.CONNECTORS_HTTP_TIMEOUT_SECONDS = 2
    settings.CONNECTORS_MAX_ATTEMPTS = 4
    settings.CONNECTORS_MAX_RETRY_WAIT_SECONDS = 60


@pytest.fixture
def admin(desk):
    """A logged-in client of adi, an admin of the bpn workspace (`admin.user`)."""
    membership = add_member(workspace=desk.bpn, username="adi", role="admin",
                            password="kata-sandi-uji", now=timezone.now())
    client = Client()
    client.force_login(membership.user)
    client.user = membership.user
    return client


@pytest.fixture
def fake_platform(settings):
    """A fake Graph/Instagram/X API on 127.0.0.1 behind every base URL (its `fake` scripts it:
    `grant`, `fail`, `hang_after_posting`, ...), for code that uses the shared HTTP client."""
    with FakePlatformServer() as server:
        settings.META_GRAPH_BASE_URL = server.url
        settings.INSTAGRAM_GRAPH_BASE_URL = server.url
        settings.X_API_BASE_URL = server.url
        yield server.fake
