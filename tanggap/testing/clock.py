"""A pytest plugin (loaded from pyproject's addopts): `--clock-offset-days N` runs the whole
session with the wall clock moved N days ahead, still ticking. A test whose outcome depends on
today's date fails there; see docs/testing.md.

Only this process's clock moves (time-machine patches `time.time` and `datetime.now`, never
`time.monotonic`); subprocesses that tests start (the CLI, `tanggap serve`) keep the real one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine


def pytest_addoption(parser):
    parser.addoption(
        "--clock-offset-days", type=int, default=0, metavar="N",
        help="move the wall clock N days for the whole session (finds date-dependent tests)")


def pytest_configure(config):
    days = config.getoption("--clock-offset-days")
    if days:
        traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def pytest_report_header(config):
    days = config.getoption("--clock-offset-days")
    if days:
        return [f"clock moved {days} days ahead: now is {datetime.now(UTC).isoformat()}"]
    return []
