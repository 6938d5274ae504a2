"""The README's first command, tried as a newcomer would: from a fresh clone, one command."""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_readme_opens_with_exactly_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["./scripts/demo", "./scripts/test"]
    assert readme.index("```bash") < readme.index("Tanggap is")


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git checkout to clone")
def test_demo_command_from_a_fresh_clone(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TANGGAP_", "DJANGO_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY",
                                "VIRTUAL_ENV"))}
    env["PORT"] = str(port)
    log = (tmp_path / "demo.log").open("w+")
    demo = subprocess.Popen(["./scripts/demo"], cwd=clone, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as r:
                    assert r.status == 200
                    assert "Masuk ke meja layanan" in r.read().decode()
                break
            except OSError:
                assert demo.poll() is None, Path(log.name).read_text()
                assert time.monotonic() < deadline, Path(log.name).read_text()
                time.sleep(0.5)
        output = Path(log.name).read_text()
        assert "Demo logins" in output
        assert re.search(r"dewi\s+operator\s+tanggap-demo", output)
        assert re.search(r"hendra\s+supervisor\s+tanggap-demo", output)
        # The embedded default: one SQLite file inside the clone, no other server.
        assert (clone / "var" / "tanggap.sqlite3").exists()
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(timeout=30)
    # Nothing left behind: the worker and the simulator stopped with the server.
    leftovers = subprocess.run(["pgrep", "-f", str(clone)], capture_output=True, text=True)
    assert leftovers.stdout == ""
