"""The `tanggap` console command.

`classify`, `tone` and `train` run the language engine without Django (fast start, no database).
`serve` runs the web server (HTTP + websockets) and, unless --no-worker, two task workers and the
periodic runner (the sweep, X polling, and the jobs other rooms register) in the same process
group, restarting any of them that dies; `worker` runs task workers alone for scale-out (and,
with --with-periodic, the periodic runner too); `demo` prepares demo data and then serves it
with the simulator. Anything else is a Django management command (`migrate`, `workspace`,
`user`, `token`, `channel`, `periodic`, ...).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys

LANGUAGE_COMMANDS = {"classify", "tone", "train"}


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tanggap.settings")
    import django

    django.setup()


def _manage(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tanggap.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tanggap", *argv])
    return 0


def _spawn(args: list[str], *, quiet: bool = False) -> subprocess.Popen:
    # Children share our process group, so Ctrl-C reaches them too; we still stop them
    # explicitly when the server returns. Quiet ones keep their errors (stderr) only.
    return subprocess.Popen([sys.executable, "-m", "tanggap.cli", *args],
                            stdout=subprocess.DEVNULL if quiet else None)


def _supervised(children: list[tuple[str, list[str], bool]]):
    """A Supervisor that has started `children` ((name, tanggap argv, quiet)), and the thread
    that restarts them when they die; stop both with _end_supervision."""
    import threading

    from tanggap.conf.supervisor import Supervisor

    quiet = {name for name, _, is_quiet in children if is_quiet}
    supervisor = Supervisor(lambda child: _spawn(child.argv, quiet=child.name in quiet))
    for name, argv, _ in children:
        supervisor.add(name, argv)
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.run, args=(stop,), name="supervisor",
                              daemon=True)
    thread.start()
    return supervisor, stop, thread


def _end_supervision(supervised) -> None:
    supervisor, stop, thread = supervised
    stop.set()
    thread.join()
    supervisor.stop()


def _use_hub_layer(path: str) -> None:
    # Settings were read before the hub existed; point this process's layer at it too.
    from channels.layers import channel_layers
    from django.conf import settings

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "tanggap.live.hub.HubChannelLayer",
                                           "CONFIG": {"path": path}}}
    channel_layers.backends.clear()


def serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tanggap serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=min(os.cpu_count() or 1, 4),
                        help="web server processes (default: one per core, at most 4)")
    parser.add_argument("--no-worker", action="store_true", help="do not start a task worker")
    parser.add_argument("--simulator", action="store_true",
                        help="also run the demo simulator (demo workspace only)")
    parser.add_argument("--no-migrate", action="store_true")
    return parser


def serve(argv: list[str]) -> int:
    parser = serve_parser()
    args = parser.parse_args(argv)
    if not 1 <= args.port <= 65535:
        parser.error("--port must be between 1 and 65535")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    _django_setup()
    from django.conf import settings
    from django.core.management import call_command

    if not args.no_migrate:
        call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    children: list[tuple[str, list[str], bool]] = []
    if not settings.REDIS_URL:
        # Without Redis, live events cross this machine's processes (the web processes, the
        # worker, the simulator) through a hub on a UNIX socket run by this process.
        import tempfile

        from tanggap.live.hub import Hub

        hub = Hub(os.path.join(tempfile.mkdtemp(prefix="tanggap-live-"), "hub.sock"))
        hub.start_in_thread()
        os.environ["TANGGAP_LIVE_HUB"] = hub.path
        _use_hub_layer(hub.path)
    if not args.no_worker:
        # Two task workers, so a long platform call does not hold up the webhooks queued
        # behind it.
        children += [(f"worker-{n}", ["worker"], False) for n in (1, 2)]
        # The periodic jobs: re-queue stalled work, poll X (whose webhooks cost money), and
        # whatever other rooms registered.
        children.append(("periodic", ["periodic"], True))
    if args.simulator:
        children.append(("simulator", ["simulate"], False))
    # Each child that dies is started again (with back-off), and logged.
    supervised = _supervised(children)
    import uvicorn

    # uvicorn re-raises SIGTERM after its shutdown; exiting through SystemExit instead lets the
    # finally below stop the worker and simulator rather than orphan them.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        uvicorn.run(
            "tanggap.asgi:application", host=args.host, port=args.port, workers=args.workers,
            log_level="warning", lifespan="off", ws="websockets-sansio",
            # uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 whatever the desk's
            # configuration says; TANGGAP_TRUSTED_PROXIES is applied once, by the desk itself
            # (tanggap/conf/proxies.py).
            proxy_headers=False,
        )
    finally:
        _end_supervision(supervised)
        hub_path = os.environ.pop("TANGGAP_LIVE_HUB", "")
        if hub_path:
            import shutil

            shutil.rmtree(os.path.dirname(hub_path), ignore_errors=True)
    return 0


def worker_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tanggap worker")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")
    parser.add_argument("--interval", type=float, default=0.2,
                        help="seconds an idle worker waits before looking for jobs again; the "
                             "delay a webhook waits before it is parsed (default 0.2)")
    parser.add_argument("--with-periodic", action="store_true",
                        help="also run the periodic runner (the sweep, X polling, ...); safe on "
                             "several machines: each job runs on one of them at a time")
    return parser


def worker(argv: list[str]) -> int:
    parser = worker_parser()
    args = parser.parse_args(argv)
    if not 0 <= args.interval <= 60:
        parser.error("--interval must be between 0 and 60 seconds")
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    if args.batch and args.with_periodic:
        parser.error("--batch runs what is queued and exits; --with-periodic runs until stopped")
    extra = ["--batch"] if args.batch else []
    extra += ["--interval", str(args.interval)]
    if args.processes == 1 and not args.with_periodic:
        return _manage(["task_worker", "--queue-name", "*", "--no-reload", "-v", "0", *extra])
    if args.batch:
        children = [_spawn(["worker", *extra]) for _ in range(args.processes)]
        codes = [child.wait() for child in children]
        return max(codes)
    _django_setup()  # the supervisor logs through the desk's logging settings
    plan = [(f"worker-{n}", ["worker", *extra], False)
            for n in range(1, args.processes + 1)]
    if args.with_periodic:
        plan.append(("periodic", ["periodic"], False))
    from tanggap.periodic.stopping import stop_on_signals

    supervised = _supervised(plan)
    try:
        with stop_on_signals() as stop:
            stop.wait()
    finally:
        _end_supervision(supervised)
    return 0


def train_from_desk(argv: list[str]) -> int:
    """`train --from-desk SLUG [--input FILE] --output MODEL`: the desk's confirmed labels (and
    a JSONL file, if given) become one training file for the language engine's `train`."""
    import tempfile

    parser = argparse.ArgumentParser(prog="tanggap train")
    parser.add_argument("--from-desk", action="append", required=True, metavar="SLUG",
                        help="workspace whose confirmed topics to learn from (repeatable)")
    parser.add_argument("--input", metavar="FILE", help="extra labelled JSON Lines")
    parser.add_argument("--output", required=True, metavar="MODEL")
    args, rest = parser.parse_known_args(argv)
    _django_setup()
    from django.core.management import call_command

    with tempfile.NamedTemporaryFile("w+", suffix=".jsonl", encoding="utf-8") as combined:
        if args.input:
            try:
                with open(args.input, encoding="utf-8") as extra:
                    for line in extra:
                        combined.write(line if line.endswith("\n") else line + "\n")
            except OSError as exc:
                parser.error(f"cannot read --input: {exc}")
        call_command("labels", "export", *args.from_desk, stdout=combined)
        combined.flush()
        from tanggap.language.cli import main as language_main

        return language_main(["train", "--input", combined.name, "--output", args.output, *rest])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__.strip())
        print("\nRun `tanggap help` for the Django management commands.")
        return 0
    command, rest = argv[0], argv[1:]
    if command == "train" and "--from-desk" in rest:
        return train_from_desk(rest)
    if command in LANGUAGE_COMMANDS:
        from tanggap.language.cli import main as language_main

        return language_main(argv)
    if command == "serve":
        return serve(rest)
    if command == "worker":
        return worker(rest)
    return _manage(argv)


if __name__ == "__main__":
    sys.exit(main())
