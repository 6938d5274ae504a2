"""The scripting contract of the `tanggap` command, run as a user runs it."""

import json
import os
import subprocess
import sys
import urllib.request

import pytest


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
    channel = run("channel", "add", "bpn", "--platform", "x", "--handle", "PemkotBPN",
                  "--token-stdin", stdin="AAAA-bearer\n")
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


def test_serve_answers_health_and_worker_delivers(run, tmp_path):
    import socket
    import time

    run("migrate", "--verbosity", "0")
    run("workspace", "create", "bpn", "--name", "Pemkot")
    run("user", "add", "ani", "--workspace", "bpn", "--role", "operator", "--password-stdin",
        stdin="kata-sandi-rahasia\n")
    token = run("token", "create", "ani").stdout.split()[-1]
    run("user", "add", "formulir", "--workspace", "bpn", "--role", "integration")
    form_token = run("token", "create", "formulir").stdout.split()[-1]
    channel_id = run("channel", "add", "bpn", "--platform", "web", "--handle", "w").stdout.split()[-1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "tanggap.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=run.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}/api/v1"

    def call(path, body=None, bearer=token):
        request = urllib.request.Request(
            base + path, data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert call("/health")[0] == 200
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        status, created = call("/inbound", {"channel_id": int(channel_id), "external_id": "e1",
                                            "author": {"id": "w1", "name": "Warga"},
                                            "text": "Sampah menumpuk di Klandasan"},
                              bearer=form_token)
        assert status == 201
        case_id = created["case_id"]
        version = call(f"/cases/{case_id}/claim", {})[1]["version"]
        status, _ = call(f"/cases/{case_id}/replies", {"text": "Terima kasih, kami teruskan ke DLH.",
                                                       "idempotency_key": "k", "base_version": version})
        assert status == 201
        # The worker started by `serve` delivers the reply (web channel) within a few seconds.
        deadline = time.monotonic() + 20
        while True:
            messages = call(f"/cases/{case_id}")[1]["messages"]
            if messages[-1]["delivery_status"] == "sent" or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert messages[-1]["delivery_status"] == "sent"
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
