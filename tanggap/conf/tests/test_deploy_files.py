"""The deployment files in deploy/ (docs/deployment.md): every command they run is a real
`tanggap` command with arguments it accepts, exactly one periodic runner runs in each layout, and
the compose file's services, health checks and dependencies fit together. Docker does not run on
the project's machines, so the compose file is checked by reading it, not by starting it; the
systemd units also go through `systemd-analyze verify` where it exists."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands, load_command_class
from django.core.management.base import CommandError
from django.urls import resolve

from tanggap import cli

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
TANGGAP_BIN = "/opt/tanggap/.venv/bin/tanggap"


class NotACommand(AssertionError):
    pass


def check_tanggap_command(argv: list[str]) -> tuple[str, list[str]]:
    """Parse `argv` as the `tanggap` command would, without running it; (name, arguments)."""
    if not argv or Path(argv[0]).name != "tanggap":
        raise NotACommand(f"{argv!r} does not run tanggap")
    if len(argv) < 2:
        raise NotACommand(f"{argv!r} names no command")
    name, args = argv[1], argv[2:]
    try:
        if name in ("serve", "worker"):
            parser = cli.serve_parser() if name == "serve" else cli.worker_parser()
            parser.exit_on_error = False
            parser.parse_args(args)
            return name, args
        commands = get_commands()
        if name not in commands:
            raise NotACommand(f"tanggap has no command {name!r}")
        load_command_class(commands[name], name).create_parser("tanggap", name).parse_args(args)
    except (CommandError, SystemExit, Exception) as exc:
        if isinstance(exc, NotACommand):
            raise
        raise NotACommand(f"tanggap {name} does not accept {args!r}: {exc}") from None
    return name, args


def runs_the_periodic_runner(argv: list[str]) -> bool:
    name, args = argv[1], argv[2:]
    return (name == "periodic" and "--status" not in args and "--once" not in args
            or name == "worker" and "--with-periodic" in args
            or name == "serve" and "--no-worker" not in args)


@pytest.mark.parametrize("argv", [
    ["tanggap", "serve", "--bogus"],
    ["tanggap", "serve", "--port"],
    ["tanggap", "worker", "--processes", "two"],
    ["tanggap", "nosuchcommand"],
    ["tanggap", "backup"],
    ["tanggap", "periodic", "--no-such-flag"],
    ["python", "-m", "http.server"],
])
def test_the_checker_refuses_what_tanggap_would_refuse(argv):
    with pytest.raises(NotACommand):
        check_tanggap_command(argv)


# -- compose.yaml -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_runs_the_desk_beside_postgres_redis_and_a_tls_proxy(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "periodic",
                             "proxy", "backup"}
    ours = {name for name, service in services.items() if service.get("image") == "tanggap:latest"}
    assert ours == {"migrate", "web", "worker", "periodic", "backup"}
    commands = {name: check_tanggap_command(services[name]["command"])[0] for name in ours}
    assert commands == {"migrate": "migrate", "web": "serve", "worker": "worker",
                        "periodic": "periodic", "backup": "backup"}
    for name in ours:
        service = services[name]
        environment = service["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://tanggap:")
        assert environment["DATABASE_URL"].endswith("@postgres:5432/tanggap")
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["TANGGAP_DATA_DIR"] == "/var/lib/tanggap"
        assert "data:/var/lib/tanggap" in service["volumes"]
        # Secrets come from the env file, never from the compose file itself.
        assert service["env_file"] == "tanggap.env"
        assert not {"SECRET_KEY", "TANGGAP_CREDENTIALS_KEY"} & set(environment)
        assert Path(service["build"]["context"]) == Path("..")
        assert (DEPLOY / ".." / service["build"]["dockerfile"]).resolve() == (
            DEPLOY / "Dockerfile").resolve()


def test_compose_runs_exactly_one_periodic_runner(compose):
    services = compose["services"]
    runners = [name for name, service in services.items()
               if service.get("image") == "tanggap:latest"
               and runs_the_periodic_runner(service["command"])]
    assert runners == ["periodic"]
    assert services["periodic"]["deploy"]["replicas"] == 1
    assert "profiles" not in services["periodic"]
    # The web service must not start a second one (serve runs one unless --no-worker).
    assert "--no-worker" in services["web"]["command"]


def test_compose_starts_in_order_and_checks_health(compose):
    services = compose["services"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "periodic"):
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"}}
        assert services[name]["restart"] == "unless-stopped"
    # serve migrates by default; here the migrate service did, once.
    assert "--no-migrate" in services["web"]["command"]
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    probe = " ".join(services["web"]["healthcheck"]["test"])
    port = services["web"]["command"][services["web"]["command"].index("--port") + 1]
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/\S+?)'", probe)
    assert url is not None and url.group(1) == port
    assert resolve(url.group(2)).url_name == "health"
    # The probe names a host the desk answers to (DisallowedHost would fail it).
    assert "headers={'Host': os.environ['ALLOWED_HOSTS'].split(',')[0]}" in probe
    assert services["proxy"]["depends_on"] == {"web": {"condition": "service_healthy"}}
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert f"reverse_proxy web:{port}" in caddyfile
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]


def test_the_compose_backup_is_a_tool_run_on_demand_into_its_own_volume(compose):
    backup = compose["services"]["backup"]
    assert backup["profiles"] == ["backup"] and backup["restart"] == "no"
    _, args = check_tanggap_command(backup["command"])
    assert args == ["/backups", "--keep", "14"]
    assert "backups:/backups" in backup["volumes"]
    assert set(compose["volumes"]) == {"pgdata", "data", "caddy", "backups"}


def test_the_image_copies_files_that_exist():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            *sources, _target = line.split()[1:]
            for source in sources:
                assert (DEPLOY.parent / source).exists(), source
    assert "postgresql-client" in dockerfile  # pg_dump for `tanggap backup`
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "gcc" in dockerfile  # the language engine's compiled part


@pytest.mark.slow
def test_the_wheel_built_from_the_images_files_carries_the_data_and_the_compiled_part(tmp_path):
    """`uv sync --no-editable` in the image installs a wheel built from what the Dockerfile
    copies, no more: without MANIFEST.in that wheel had no template, locale or lexicon."""
    root = tmp_path / "context"
    root.mkdir()
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            *sources, target = line.split()[1:]
            for source in sources:
                copy_to = root / (source if target.endswith("/") else target)
                if (DEPLOY.parent / source).is_dir():
                    shutil.copytree(DEPLOY.parent / source, copy_to,
                                    ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.c"))
                else:
                    shutil.copy(DEPLOY.parent / source, copy_to)
    # scripts/lib.sh installs uv into the Python 3.12 the project's venv was made from.
    base = Path(sys.base_prefix) / "bin" / "python3.12"
    has_uv = subprocess.run([base, "-m", "uv", "--version"], capture_output=True).returncode == 0
    uv = [str(base), "-m", "uv"] if has_uv else [shutil.which("uv")]
    if uv[0] is None:
        pytest.skip("uv is not installed")
    subprocess.run([*uv, "build", "--wheel", "--quiet", "-o", str(tmp_path / "dist")],
                   cwd=root, check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "tanggap/web/templates/web/base.html" in names
    assert "tanggap/hooks/locale/id/LC_MESSAGES/django.mo" in names
    assert any(n.startswith("tanggap/language/data/") for n in names)
    if shutil.which("cc") or shutil.which("gcc"):
        assert any(n.startswith("tanggap/language/_fast.") and n.endswith(".so") for n in names)


# -- systemd units ------------------------------------------------------------------------------

def unit(name: str) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def exec_start(name: str) -> list[str]:
    [line] = unit(name)["Service"]["ExecStart"]
    argv = shlex.split(line)
    assert argv[0] == TANGGAP_BIN
    check_tanggap_command(argv)
    return argv


SERVICES = ["tanggap.service", "tanggap-backup.service", "tanggap-web.service",
            "tanggap-worker.service", "tanggap-periodic.service"]


def test_every_unit_runs_a_real_command_as_the_desk_user_with_its_settings():
    assert sorted(p.name for p in (DEPLOY / "systemd").iterdir()) == sorted(
        [*SERVICES, "tanggap-backup.timer"])
    for name in SERVICES:
        service = unit(name)["Service"]
        exec_start(name)
        assert service["User"] == ["tanggap"] and service["Group"] == ["tanggap"]
        assert service["EnvironmentFile"] == ["/etc/tanggap/tanggap.env"]
        assert service["UMask"] == ["0077"]
        assert service["ProtectSystem"] == ["strict"] and service["NoNewPrivileges"] == ["yes"]
        if name != "tanggap-backup.service":
            assert service["Restart"] == ["always"] and service["RestartSec"] == ["5"]
            assert unit(name)["Install"]["WantedBy"] == ["multi-user.target"]


def test_one_machine_runs_one_periodic_runner_and_scale_out_exactly_one():
    assert runs_the_periodic_runner(["tanggap", *exec_start("tanggap.service")[1:]])
    scale_out = {name: ["tanggap", *exec_start(name)[1:]] for name in (
        "tanggap-web.service", "tanggap-worker.service", "tanggap-periodic.service")}
    assert [n for n, argv in scale_out.items() if runs_the_periodic_runner(argv)] == [
        "tanggap-periodic.service"]
    assert "--no-migrate" in scale_out["tanggap-web.service"]
    # The keys directory is outside the data directory, where the default puts it.
    assert unit("tanggap.service")["Service"]["StateDirectory"] == ["tanggap tanggap-keys"]
    environment = (DEPLOY / "tanggap.env.example").read_text()
    assert "TANGGAP_DATA_DIR=/var/lib/tanggap\n" in environment
    assert "TANGGAP_KEYS_DIR=/var/lib/tanggap-keys\n" in environment


def test_the_nightly_timer_starts_a_backup_with_rotation_into_a_writable_folder():
    timer = unit("tanggap-backup.timer")["Timer"]
    assert timer["Unit"] == ["tanggap-backup.service"]
    assert timer["OnCalendar"] == ["*-*-* 02:30:00"] and timer["Persistent"] == ["true"]
    service = unit("tanggap-backup.service")["Service"]
    assert service["Type"] == ["oneshot"]
    argv = exec_start("tanggap-backup.service")
    assert argv[1:] == ["backup", "/var/backups/tanggap", "--keep", "14"]
    writable = service["ReadWritePaths"][0].split()
    assert {"/var/lib/tanggap", "/var/backups/tanggap"} <= set(writable)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_every_unit(tmp_path):
    for path in (DEPLOY / "systemd").iterdir():
        # verify wants the program to exist: the desk's stands at /opt/tanggap in production.
        (tmp_path / path.name).write_text(path.read_text().replace(TANGGAP_BIN, "/bin/true"))
    done = subprocess.run(["systemd-analyze", "verify",
                           *sorted(str(p) for p in tmp_path.iterdir())],
                          capture_output=True, text=True, timeout=120)
    problems = [line for line in done.stderr.splitlines() if str(tmp_path) in line]
    assert done.returncode == 0 and problems == [], done.stderr
