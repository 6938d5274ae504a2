"""The README's first command, tried as a newcomer would: a fresh clone, one command.

"A machine that has never seen uv": a new Python 3.12 environment that has pip and nothing else,
first on a PATH that holds only it and the system's /usr/bin and /bin. `./scripts/demo` must
install uv, install the project, start the desk and tell how to reach its data, with a log
that is free of pip's warnings and of tracebacks for the refusals a desk answers every day.

The clone is of the committed HEAD: commit before running it.
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tanggap.demo.actions import DEMO_PASSWORD, DEMO_SLUG
from tanggap.testing.liveserver import free_port, session_login, wait_until_answering

ROOT = Path(__file__).resolve().parents[3]
# Bounds on waits that end as soon as their event happens, never measures of speed: installing
# uv and the project from the package index can take minutes on a slow line.
INSTALL_BOUND = 900
STEP_BOUND = 120


def test_readme_opens_with_exactly_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["./scripts/demo", "./scripts/test"]
    assert readme.index("```bash") < readme.index("Tanggap is")


class Output:
    """A process's combined output, read line by line in a thread; tests wait for lines."""

    def __init__(self, proc: subprocess.Popen):
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._read, args=(proc.stdout,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    @property
    def text(self) -> str:
        with self._changed:
            return "".join(self.lines)

    def wait_for(self, pattern: str, bound: float) -> re.Match:
        """The first match of `pattern` in the output, once it appears."""
        found = None

        def seen():
            nonlocal found
            found = re.search(pattern, "".join(self.lines), re.M)
            return found is not None or self._closed

        with self._changed:
            self._changed.wait_for(seen, timeout=bound)
        assert found is not None, f"never printed /{pattern}/:\n{self.text}"
        return found

    def wait_closed(self, bound: float) -> None:
        self._thread.join(bound)
        assert not self._thread.is_alive(), f"output still open:\n{self.text}"


def _never_seen_uv(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH leads to a new Python 3.12 with pip and without uv."""
    python = Path(sys.base_prefix) / "bin" / "python3.12"
    assert python.exists(), f"no Python 3.12 at {python}"
    fresh = tmp_path / "python"
    subprocess.run([str(python), "-m", "venv", str(fresh)], check=True, timeout=STEP_BOUND)
    path = os.pathsep.join([str(fresh / "bin"), "/usr/bin", "/bin"])
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TANGGAP_", "DJANGO_", "UV_", "PIP_", "PYENV_VERSION"))
           and k not in ("VIRTUAL_ENV", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PYTHONPATH")}
    env.update(PATH=path, PYTHONUNBUFFERED="1")
    assert shutil.which("uv", path=path) is None
    no_uv = subprocess.run(["python3", "-m", "uv", "--version"], env=env, capture_output=True)
    assert no_uv.returncode != 0
    assert subprocess.run(["python3", "-m", "pip", "--version"], env=env,
                          capture_output=True).returncode == 0
    return env


@pytest.mark.slow
@pytest.mark.embedded
@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git checkout to clone")
def test_demo_from_a_fresh_clone_on_a_machine_that_never_saw_uv(tmp_path):
    env = _never_seen_uv(tmp_path)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=STEP_BOUND)
    port = free_port()
    env["PORT"] = str(port)
    demo = subprocess.Popen(["./scripts/demo"], cwd=clone, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output = Output(demo)
    try:
        output.wait_for(r"^Tanggap is starting at http://127\.0\.0\.1:\d+/", INSTALL_BOUND)
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(base + "/login/", demo, bound=STEP_BOUND, describe=lambda: output.text)
        login = httpx.get(base + "/login/", timeout=STEP_BOUND)
        assert login.status_code == 200
        assert "Masuk ke meja layanan" in login.text

        assert "installing uv" in output.text
        assert "Demo logins" in output.text
        assert re.search(r"dewi\s+operator\s+tanggap-demo", output.text)
        assert re.search(r"hendra\s+supervisor\s+tanggap-demo", output.text)
        # The embedded default: one SQLite file inside the clone's data folder, no other server.
        data = clone / "var"
        assert f"Data folder: {data} " in output.text
        assert (data / "tanggap.sqlite3").exists()
        # The printed command line works as printed, on this desk's data.
        line = output.wait_for(r"^  (TANGGAP_DATA_DIR=\S+ \S+/tanggap token create dewi)$", STEP_BOUND)
        assignment, *command = shlex.split(line.group(1))
        assert assignment == f"TANGGAP_DATA_DIR={data}"
        assert command[0] == str(clone / ".venv" / "bin" / "tanggap")
        made = subprocess.run(command, env={**env, "TANGGAP_DATA_DIR": str(data)},
                              capture_output=True, text=True, timeout=STEP_BOUND)
        assert made.returncode == 0, made.stderr
        token = made.stdout.split()[-1]
        cases = httpx.get(base + "/api/v1/cases", timeout=STEP_BOUND,
                          headers={"Authorization": f"Bearer {token}"})
        assert cases.status_code == 200

        # The refusals of an ordinary day: an operator on the admins' channel page, a page and
        # a websocket of a workspace they are not in, an auditor who tries to claim.
        dewi = session_login(base, "dewi", DEMO_PASSWORD)
        assert dewi.get(f"/w/{DEMO_SLUG}/channels/").status_code == 403
        assert dewi.get("/w/another-city/").status_code == 404
        cookie = "; ".join(f"{name}={value}" for name, value in dewi.cookies.items())
        with pytest.raises(InvalidStatus) as refused:
            connect(f"ws://127.0.0.1:{port}/ws/w/another-city/", open_timeout=STEP_BOUND,
                    additional_headers={"Cookie": cookie, "Origin": base})
        assert refused.value.response.status_code == 403
        ratna = session_login(base, "ratna", DEMO_PASSWORD)
        claim = ratna.post("/api/v1/cases/1/claim",
                           headers={"X-CSRFToken": ratna.cookies["csrftoken"]})
        assert claim.status_code == 403
        output.wait_for(rf"WARNING django\.request Forbidden \(Permission denied\): "
                        rf"/w/{DEMO_SLUG}/channels/\n", STEP_BOUND)
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(timeout=STEP_BOUND)
    output.wait_closed(STEP_BOUND)  # every process that held the output has exited
    log = output.text
    assert "Traceback" not in log
    assert "Running pip as the 'root' user" not in log
    assert "command not found" not in log
    assert "[notice]" not in log  # pip's "a new release is available"
    leftovers = subprocess.run(["pgrep", "-f", str(clone)], capture_output=True, text=True)
    assert leftovers.stdout == ""
