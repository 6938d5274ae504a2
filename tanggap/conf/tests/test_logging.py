"""The server log: a refused request is one line; a server error keeps its traceback."""

import logging

from django.http import HttpResponse
from django.utils.log import log_response


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def _as_the_console_writes_it(record) -> str | None:
    """The line the configured console handler (settings.LOGGING) writes, None if it drops it."""
    [console] = [h for h in logging.getLogger().handlers if h.filters]
    kept = console.filter(record)
    return console.format(kept if isinstance(kept, logging.LogRecord) else record) if kept else None


def _logged(call):
    records = _Records()
    logger = logging.getLogger("django.request")
    logger.addHandler(records)
    try:
        call()
    finally:
        logger.removeHandler(records)
    return records.records


def test_an_operator_refused_an_admin_page_is_one_line_without_traceback(desk):
    desk.ani.client.force_login(desk.ani.user)
    responses = []
    [record] = _logged(lambda: responses.append(desk.ani.client.get("/w/bpn/channels/")))
    assert responses[0].status_code == 403
    assert record.exc_info is not None  # Django attaches the PermissionDenied
    line = _as_the_console_writes_it(record)
    assert line.endswith("WARNING django.request Forbidden (Permission denied): /w/bpn/channels/")
    assert "Traceback" not in line
    assert record.exc_info is not None  # other handlers still get it whole


def test_a_server_error_keeps_its_traceback(db):
    def fail():
        try:
            raise RuntimeError("a real bug")
        except RuntimeError as exc:
            log_response("%s: %s", "Internal Server Error", "/w/bpn/", exception=exc,
                         response=HttpResponse(status=500))

    [record] = _logged(fail)
    line = _as_the_console_writes_it(record)
    assert "ERROR django.request Internal Server Error: /w/bpn/\nTraceback" in line
    assert line.endswith("RuntimeError: a real bug")
