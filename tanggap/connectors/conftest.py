"""Test settings of the connectors room: known webhook secrets, and base URLs that point at a
closed local port, so a test that forgot its fake fails at once instead of reaching a platform."""

import pytest

from tanggap.connectors.testing.fakes import APP_SECRET, VERIFY_TOKEN


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
