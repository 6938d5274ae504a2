"""Settings for the test suite: the real settings, with the test switches set before they load."""

import os
import tempfile

os.environ["TANGGAP_TESTING"] = "1"
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-checks-0123456789")
os.environ.setdefault("TANGGAP_DATA_DIR", os.path.join(tempfile.gettempdir(), "tanggap-test"))
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The suite's databases need not survive a power cut: no fsync per commit (servers and commands
# that tests start in fresh processes keep the default, full).
os.environ.setdefault("TANGGAP_SQLITE_SYNCHRONOUS", "normal")

from tanggap.settings import *  # noqa: E402, F403

# Tests run code in helper threads (websocket consumers, races); a connection kept open in one of
# them would block dropping the PostgreSQL test database at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# Every REST v1 response a test sees is checked against the OpenAPI document (outermost, so it
# sees the response as the client gets it).
MIDDLEWARE = ["tanggap.testing.api_contract.ResponseContractMiddleware", *MIDDLEWARE]  # noqa: F405
