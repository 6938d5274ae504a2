"""The connectors' periodic jobs under the runner: one broken X account does not stop the
others, a sweep that raises is retried at its next run, and one broken part of a sweep does
not stop its other parts. Clocks are injected; nothing sleeps."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import httpx

from tanggap.cases.models import Message
from tanggap.connectors import http as http_module
from tanggap.connectors import jobs, polling, sweep
from tanggap.connectors.actions.webhooks import receive_webhook
from tanggap.connectors.models import PollCursor
from tanggap.connectors.testing.fakes import FakeAPI, add_proven_channel
from tanggap.periodic.models import PeriodicJob
from tanggap.periodic.runner import Runner

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
ME = "1500000000000000000"


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


def _mention(n):
    return {"data": [{"id": f"18620000000000000{n:02d}", "text": f"@kota lampu mati {n}",
                      "author_id": "42", "conversation_id": f"18620000000000000{n:02d}",
                      "created_at": "2026-12-01T07:59:00.000Z"}],
            "includes": {"users": [{"id": "42", "username": "warga", "name": "Warga"}]},
            "meta": {"result_count": 1, "newest_id": f"18620000000000000{n:02d}"}}


def test_one_broken_x_account_does_not_stop_polling_for_the_others(desk, monkeypatch):
    unreadable = add_proven_channel(workspace=desk.bpn, platform="x", handle="Rusak", now=T0,
                                    token="t1", x_user_id="101")
    unreadable.credentials_encrypted = "not-a-fernet-token"
    unreadable.save()
    buggy = add_proven_channel(workspace=desk.dlh, platform="x", handle="Buggy", now=T0,
                               token="t2", x_user_id="102")
    healthy = add_proven_channel(workspace=desk.dlh, platform="x", handle="Sehat", now=T0, token="t3")
    api = (FakeAPI().on("GET", "/2/users/me", {"data": {"id": ME, "username": "Sehat"}})
           .on("GET", f"/2/users/{ME}/mentions",
               httpx.Response(200, json=_mention(1)), {"meta": {"result_count": 0}})
           .on("GET", "/2/dm_events", {"meta": {"result_count": 0}}))
    monkeypatch.setattr(http_module, "shared_client", api.http)
    real = polling.poll_x_account

    def poll(*, channel_id, now, http=None):
        if channel_id == buggy.pk:
            raise KeyError("a bug in one account's poll")
        return real(channel_id=channel_id, now=now, http=http)

    monkeypatch.setattr(polling, "poll_x_account", poll)
    said = []
    Runner(only=[jobs.POLL_X], clock=Clock(), holder="a", say=said.append).tick()

    assert Message.objects.filter(channel=healthy).count() == 1
    assert not Message.objects.filter(channel__in=[unreadable, buggy]).exists()
    cursor = PollCursor.objects.get(channel=unreadable)
    assert cursor.last_error.startswith("credentials_unreadable: stored credentials cannot be "
                                        "decrypted with the current key")
    row = PeriodicJob.objects.get(name=jobs.POLL_X)
    assert (row.failures, row.last_summary, row.next_run_at) == (
        0, "accounts=2 failed=1", T0 + timedelta(seconds=120))
    assert row.last_error == "x Buggy: KeyError: \"a bug in one account's poll\""
    assert "x Sehat mentions: ok stored=1 read=1 cursor=1862000000000000001" in said


def test_a_sweep_that_raises_runs_again_at_its_next_try(desk):
    clock = Clock()
    runner = Runner(only=[jobs.SWEEP], clock=clock, holder="a")
    real = sweep.sweep_stalled
    with mock.patch.object(sweep, "sweep_stalled", side_effect=RuntimeError("disk full")):
        runner.tick()
    row = PeriodicJob.objects.get(name=jobs.SWEEP)
    assert (row.failures, row.last_error, row.next_run_at) == (
        1, "RuntimeError: disk full", T0 + timedelta(seconds=120))
    receive_webhook(source="meta", body=b'{"object": "page", "entry": []}',
                    now=T0 - timedelta(minutes=10))
    clock.now += timedelta(seconds=120)
    with mock.patch.object(sweep, "sweep_stalled", side_effect=real):
        runner.tick()
    row = PeriodicJob.objects.get(name=jobs.SWEEP)
    assert (row.failures, row.last_error, row.last_summary) == (
        0, "", "webhooks=1 sources=meta replies=0 moderations=0 mentions=0")


def test_one_broken_part_of_a_sweep_does_not_stop_the_other_parts(desk):
    receive_webhook(source="meta", body=b'{"object": "page", "entry": []}',
                    now=T0 - timedelta(minutes=10))
    with mock.patch.object(sweep, "_replies", side_effect=RuntimeError("a bug")):
        result = sweep.sweep_stalled(now=T0)
    assert (result.webhooks, result.errors) == (1, {"replies": "RuntimeError: a bug"})
    assert result.summary() == ("webhooks=1 sources=meta replies=0 moderations=0 mentions=0 "
                                "failed=replies")
    row_clock = Clock()
    with mock.patch.object(sweep, "_moderations", side_effect=RuntimeError("another")):
        Runner(only=[jobs.SWEEP], clock=row_clock, holder="a").tick()
    row = PeriodicJob.objects.get(name=jobs.SWEEP)
    # Noted, not backed off: the other parts did their work.
    assert (row.failures, row.last_error, row.next_run_at) == (
        0, "moderations: RuntimeError: another", T0 + timedelta(seconds=60))
