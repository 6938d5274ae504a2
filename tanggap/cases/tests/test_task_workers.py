"""Several `tanggap worker` processes share one queue and run each job exactly once."""

import os
import subprocess
import sys
from collections import Counter
from urllib.parse import quote

import pytest
from django.db import connection

from tanggap.cases.tests.probe_tasks import record_run

# Real `tanggap worker` processes on the test database.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}@{db['HOST']}:"
            f"{db['PORT']}/{db['NAME']}")


def test_two_workers_run_every_job_once(tmp_path):
    runs = tmp_path / "runs.txt"
    for job in range(60):
        record_run.enqueue(str(runs), job)
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE":
           "tanggap.settings", "TANGGAP_DATA_DIR": str(tmp_path),
           "SECRET_KEY": "worker-test-secret-key-long-enough-0123456789"}
    env.pop("TANGGAP_TESTING", None)
    env.pop("REDIS_URL", None)
    workers = [subprocess.Popen([sys.executable, "-m", "tanggap.cli", "worker", "--batch"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
               for _ in range(2)]
    outputs = [w.communicate(timeout=180)[0].decode() for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    counts = Counter(int(line) for line in runs.read_text().split())
    assert counts == Counter({job: 1 for job in range(60)})
