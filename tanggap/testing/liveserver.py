"""A real `tanggap serve` subprocess on 127.0.0.1, set up with the `tanggap` CLI only.

Used by the browser tests and by bench/core. The server gets its own data directory, database
URL and secret key, runs in its own process group (so its worker and uvicorn children die with
it), and keeps its output in a log file that `log_tail()` returns when something fails.

It must never bind anything but 127.0.0.1 and never reach the network.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PASSWORD = "kata-sandi-uji-1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerFailed(RuntimeError):
    pass


def wait_until_answering(url: str, proc: subprocess.Popen | None, *, bound: float,
                         describe=lambda: "") -> None:
    """Return once `url` answers 200; fail at once if `proc` exits, or after `bound` seconds.

    A server started in another process says nothing when it starts to listen, so this knocks
    every 0.1 s. `bound` only stops a hung start from hanging the run; it measures nothing.
    """
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServerFailed(f"server exited with {proc.returncode}\n{describe()}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise ServerFailed(f"{url} not answering after {bound} s\n{describe()}")


@dataclass
class LiveServer:
    """One desk server. `setup()` prepares the database, `start()` serves it."""

    data_dir: Path
    database_url: str
    redis_url: str = ""
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    owns_data_dir: bool = False

    @classmethod
    def temporary(cls, *, database_url: str = "", redis_url: str = "",
                  prefix: str = "tanggap-live-", **kwargs) -> LiveServer:
        data_dir = Path(tempfile.mkdtemp(prefix=prefix))
        return cls(
            data_dir=data_dir,
            database_url=database_url or f"sqlite:///{data_dir / 'desk.sqlite3'}",
            redis_url=redis_url,
            owns_data_dir=True,
            **kwargs,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def env(self) -> dict[str, str]:
        env = {
            key: value for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "TANGGAP_")) and key not in (
                "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS")
        }
        env.update({
            "TANGGAP_DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": "live-server-" + "k" * 40,
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        })
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
            # Each server gets its own key space, so two runs sharing one Redis never mix.
            env["TANGGAP_REDIS_PREFIX"] = "tanggap-" + secrets.token_hex(4)
        env.update(self.extra_env)
        return env

    # -- the CLI --------------------------------------------------------------------------------

    def cli(self, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
        """Run `tanggap ARGS` against this server's database; return stdout, raise on failure."""
        done = subprocess.run(
            [sys.executable, "-m", "tanggap.cli", *args], env=self.env, input=stdin,
            capture_output=True, text=True, timeout=timeout, cwd=self.data_dir,
        )
        if done.returncode != 0:
            raise ServerFailed(f"tanggap {' '.join(args)} failed ({done.returncode}):\n"
                               f"{done.stdout}\n{done.stderr}")
        return done.stdout

    def last_word(self, *args: str, stdin: str | None = None) -> str:
        return self.cli(*args, stdin=stdin).split()[-1]

    # -- the process ----------------------------------------------------------------------------

    def start(self, *, workers: int = 1, worker: bool = True, timeout: float = 120) -> None:
        args = [sys.executable, "-m", "tanggap.cli", "serve", "--host", "127.0.0.1",
                "--port", str(self.port), "--workers", str(workers)]
        if not worker:
            args.append("--no-worker")
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed by the child's exit
        # A new session makes the server the leader of its own process group: stop() kills the
        # group, which takes uvicorn's worker processes and the task worker with it.
        self.proc = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     cwd=self.data_dir, start_new_session=True)
        log.close()
        self.wait_healthy(timeout=timeout)

    def wait_healthy(self, *, timeout: float = 120) -> None:
        wait_until_answering(self.url + "/api/v1/health", self.proc, bound=timeout,
                             describe=self.log_tail)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # Children that outlive the leader are still in its group.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        """Stop the server and remove its data dir if temporary() made it."""
        self.stop()
        if self.owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def log_tail(self, chars: int = 6000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "---- server log (tail) ----\n" + text[-chars:]

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class DeskSetup:
    slug: str
    channel_id: int
    tokens: dict[str, str]
    password: str = PASSWORD


def set_up_desk(server: LiveServer, *, slug: str = "uji", operators: list[str],
                password: str = PASSWORD, migrate: bool = True) -> DeskSetup:
    """Migrate, create a workspace with a web channel, operators with API tokens and the
    integration account `gerbang` (tokens["gerbang"], for inbound messages), via the CLI."""
    if migrate:
        server.cli("migrate", "-v", "0")
    server.cli("workspace", "create", slug, "--name", f"Desk {slug}")
    channel_id = int(server.last_word("channel", "add", slug, "--platform", "web",
                                      "--handle", f"{slug}-web"))
    # The integration account that posts citizens' messages (POST /api/v1/inbound).
    server.cli("user", "add", "gerbang", "--workspace", slug, "--role", "integration")
    tokens = {"gerbang": server.last_word("token", "create", "gerbang")}
    for name in operators:
        server.cli("user", "add", name, "--workspace", slug, "--role", "operator",
                   "--password-stdin", stdin=password + "\n")
        tokens[name] = server.last_word("token", "create", name)
    return DeskSetup(slug=slug, channel_id=channel_id, tokens=tokens, password=password)


def session_login(base_url: str, username: str, password: str = PASSWORD) -> httpx.Client:
    """An httpx client logged in to the desk pages through /login/ (session + CSRF cookies)."""
    client = httpx.Client(base_url=base_url, timeout=10)
    page = client.get("/login/")
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if page.status_code != 200 or match is None:
        raise ServerFailed(f"login page unusable: {page.status_code}")
    done = client.post("/login/", data={"username": username, "password": password,
                                        "csrfmiddlewaretoken": match.group(1), "next": "/"})
    if "sessionid" not in client.cookies:
        raise ServerFailed(f"login as {username} failed: {done.status_code}")
    return client
