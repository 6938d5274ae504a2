"""The scripting contract of the `tanggap` command, run as a user runs it."""

import json
import os
import subprocess
import sys

import httpx
import pytest
from websockets.sync.client import connect

from tanggap.testing import WAIT_SECONDS as WAIT
from tanggap.testing.liveserver import LiveServer, session_login, set_up_desk

# Every test here runs `tanggap` as processes of its own, as a user does, on its own SQLite file.
pytestmark = [pytest.mark.slow, pytest.mark.embedded]


@pytest.fixture
def run(tmp_path):
    env = {**os.environ, "TANGGAP_DATA_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
           "SECRET_KEY": "cli-test-secret-key-long-enough-0123456789abcdef",
           "DJANGO_SETTINGS_MODULE": "tanggap.settings"}
    env.pop("TANGGAP_TESTING", None)

    def _run(*args, stdin=""):
        return subprocess.run([sys.executable, "-m", "tanggap.cli", *args], env=env, input=stdin,
                              capture_output=True, text=True, timeout=120)

    _run.env = env
    return _run


def test_setup_commands_print_ids_and_tokens_last(run):
    assert run("migrate", "--verbosity", "0").returncode == 0
    created = run("workspace", "create", "bpn", "--name", "Pemkot Balikpapan")
    assert created.returncode == 0, created.stderr
    added = run("user", "add", "ani", "--workspace", "bpn", "--role", "operator",
                "--password-stdin", stdin="kata-sandi-rahasia\n")
    assert added.returncode == 0, added.stderr
    token = run("token", "create", "ani")
    raw_token = token.stdout.split()[-1]
    assert raw_token.startswith("tg_") and len(raw_token) > 30
    # A demo channel: a real account would first be confirmed by X (no network here).
    channel = run("channel", "add", "bpn", "--platform", "x", "--handle", "PemkotBPN",
                  "--simulated", "--token-stdin", stdin="AAAA-bearer\n")
    assert channel.returncode == 0, channel.stderr
    assert channel.stdout.split()[-1] == "1"
    web = run("channel", "add", "bpn", "--platform", "web", "--handle", "bpn-web")
    assert web.stdout.split()[-1] == "2"


def test_bad_input_is_a_clear_error_and_writes_nothing(run):
    run("migrate", "--verbosity", "0")
    bad_slug = run("workspace", "create", "Bad Slug!", "--name", "x")
    assert bad_slug.returncode != 0
    assert "lower-case letters" in bad_slug.stderr
    run("workspace", "create", "bpn", "--name", "Pemkot")
    again = run("workspace", "create", "bpn", "--name", "Pemkot")
    assert "already exists" in again.stderr
    weak = run("user", "add", "ani", "--workspace", "bpn", "--role", "operator",
               "--password-stdin", stdin="123\n")
    assert weak.returncode != 0 and "Kata sandi terlalu pendek" in weak.stderr
    assert run("token", "create", "ani").returncode != 0  # the user was not half-created
    no_ws = run("channel", "add", "nope", "--platform", "web", "--handle", "h")
    assert "no workspace 'nope'" in no_ws.stderr
    bad_platform = run("channel", "add", "bpn", "--platform", "myspace", "--handle", "h")
    assert bad_platform.returncode != 0 and "invalid choice" in bad_platform.stderr
    empty_token = run("channel", "add", "bpn", "--platform", "x", "--handle", "h",
                      "--token-stdin", stdin="\n")
    assert "stdin held no token" in empty_token.stderr
    listed = run("shell", "-c", "from tanggap.connectors.models import ChannelAccount as C; "
                 "print(C.objects.count())")
    assert listed.stdout.strip().splitlines()[-1] == "0"


def test_serve_answers_health_and_worker_delivers():
    # Set up with the CLI, served by `tanggap serve` with its task worker; the reply's delivery
    # is awaited as the desk's own live event, the one an open inbox receives.
    with LiveServer.temporary(prefix="tanggap-cli-") as server:
        desk = set_up_desk(server, slug="bpn", operators=["ani"])
        server.start()
        api = httpx.Client(base_url=server.url + "/api/v1", timeout=WAIT,
                           headers={"Authorization": f"Bearer {desk.tokens['ani']}"})
        assert api.get("/health").status_code == 200
        # Citizens' messages come through the integration account.
        created = api.post("/inbound", headers={"Authorization": f"Bearer {desk.tokens['gerbang']}"},
                           json={"channel_id": desk.channel_id, "external_id": "e1",
                                 "author": {"id": "w1", "name": "Warga"},
                                 "text": "Sampah menumpuk di Klandasan"})
        assert created.status_code == 201
        case_id = created.json()["case_id"]
        version = api.post(f"/cases/{case_id}/claim").json()["version"]
        session = session_login(server.url, "ani")
        cookie = "; ".join(f"{name}={value}" for name, value in session.cookies.items())
        with connect(f"{server.ws_url}/ws/w/bpn/", open_timeout=WAIT,
                     additional_headers={"Cookie": cookie, "Origin": server.url}) as inbox:
            assert json.loads(inbox.recv(timeout=WAIT)) == {"kind": "hello", "user": "ani"}
            reply = api.post(f"/cases/{case_id}/replies", json={
                "text": "Terima kasih, kami teruskan ke DLH.", "idempotency_key": "k",
                "base_version": version})
            assert reply.status_code == 201
            message_id = reply.json()["message"]["id"]
            while (event := json.loads(inbox.recv(timeout=WAIT))).get("kind") != "delivery":
                pass
        assert event == {"kind": "delivery", "case_id": case_id, "message_id": message_id,
                         "status": "sent"}
        messages = api.get(f"/cases/{case_id}").json()["messages"]
        assert [(m["direction"], m["delivery_status"]) for m in messages] == [
            ("in", "received"), ("out", "sent")]
