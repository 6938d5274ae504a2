"""The HTTP stack's own ceiling: requests per second `tanggap serve` answers for endpoints that do
(almost) nothing, with wrk as the load generator, and the CPU of each of the server's processes.

    .venv/bin/python bench/core/ceiling.py [--seconds 10] [--connections 16]
        [--server-workers N] [--no-worker] [--only NAME ...] [--set NAME=VALUE ...]

What the inbound (`ingest_wrk.sh`) and the webhook intake (`bench/connectors/webhooks_wrk.py`)
can reach through HTTP is bounded by what the server spends on a request before any of the
desk's work: the HTTP server, the hop into Django, the middleware, the view's plumbing. Each
target below is measured for --seconds on keep-alive connections, as those two benchmarks do:

- `health, page chain`: GET /api/v1/health with no token, so the whole middleware chain of pages;
- `health, machine chain`: the same with a Bearer header, the short chain of API machines;
- `webhook, bad signature`: a signed-looking POST /webhooks/meta refused with 401, the webhook
  intake's path with everything but the storing (its ASGI fast path, tanggap/connectors/intake.py;
  `--set TANGGAP_FAST_INTAKE=0` for Django's).

For each: requests/s, latency, and the CPU seconds each part of `tanggap serve` used during the
window (the web processes with `tanggap serve` itself, the task workers with the periodic
runner; from /proc) plus wrk's own, so "CPU ms per request" of the web processes is the stack's cost. Runs `tanggap
serve` as users run it (`--no-worker` leaves out the task workers and the periodic runner).
Bounded; talks to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import parser, server_for, settings_title  # noqa: E402
from common import table as print_table  # noqa: E402
from scaleout import _cpu_of, _stat  # noqa: E402

# A body and header as Meta sends them; the signature is wrong on purpose (401, nothing stored).
WEBHOOK_BODY = '{"object":"page","entry":[]}'
TARGETS = {
    "health, page chain": ("GET", "/api/v1/health", {}, ""),
    "health, machine chain": ("GET", "/api/v1/health", {"Authorization": "Bearer ceiling"}, ""),
    "webhook, bad signature": ("POST", "/webhooks/meta", {
        "Content-Type": "application/json", "X-Hub-Signature-256": "sha256=" + "0" * 64},
        WEBHOOK_BODY),
}
EXPECTED_STATUS = {"health, page chain": 200, "health, machine chain": 200,
                   "webhook, bad signature": 401}


def lua(method: str, path: str, headers: dict[str, str], body: str, status: int) -> str:
    header_items = ", ".join(f'["{k}"]="{v}"' for k, v in headers.items())
    return f"""
local threads = {{}}
setup = function(thread) table.insert(threads, thread) end
init = function(args) wrong = 0 end
request = function()
  return wrk.format("{method}", "{path}", {{{header_items}}}, [==[{body}]==])
end
response = function(status, headers, body)
  if status ~= {status} then wrong = wrong + 1 end
end
done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("wrong") end
  io.write(string.format("unexpected status: %d\\n", total))
end
"""


def part_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return "gone"
    text = b" ".join(argv).decode(errors="replace")
    if "multiprocessing.spawn" in text or "uvicorn" in text:
        return "web"
    if "resource_tracker" in text:
        return "other"
    for name in ("worker", "periodic"):
        if f"tanggap.cli {name}" in text:
            return name
    # `tanggap serve` itself: the web server with --workers 1, else uvicorn's supervisor (and
    # the live hub, the task workers' supervisor: little CPU).
    return "web" if " serve " in text + " " else "other"


def parts_cpu(pgid: int) -> dict[str, float]:
    """CPU seconds used so far by each part of a `tanggap serve` process group."""
    out: dict[str, float] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        fields = _stat(int(name))
        if fields is None or int(fields[2]) != pgid:
            continue
        part = part_of(int(name))
        out[part] = out.get(part, 0.0) + _cpu_of(fields)
    return out


def settle(pgid: int, *, bound: float = 120, idle: float = 0.15) -> None:
    """Wait until the server's processes have finished importing (under `idle` CPU s a second)."""
    t0 = time.monotonic()
    before = sum(parts_cpu(pgid).values())
    while time.monotonic() - t0 < bound:
        time.sleep(1)
        now = sum(parts_cpu(pgid).values())
        if now - before < idle:
            return
        before = now


def run_one(server, name: str, seconds: float, connections: int) -> list[str]:
    method, path, headers, body = TARGETS[name]
    script = server.data_dir / f"ceiling-{len(name)}.lua"
    script.write_text(lua(method, path, headers, body, EXPECTED_STATUS[name]), encoding="utf-8")
    pgid = server.proc.pid
    before, wrk_before = parts_cpu(pgid), resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    done = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script),
         server.url], capture_output=True, text=True, timeout=seconds + 120)
    after, wrk_after = parts_cpu(pgid), resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or done.stderr:
        sys.exit(f"wrk failed:\n{done.stderr[-2000:]}")
    out = done.stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    wall = float(re.search(r"requests in ([\d.]+)s", out).group(1))
    wrong = int(re.search(r"unexpected status: (\d+)", out).group(1))
    if wrong:
        sys.exit(f"{name}: {wrong} answers were not {EXPECTED_STATUS[name]}:\n{out}")
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)
    used = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    wrk_cpu = ((wrk_after.ru_utime + wrk_after.ru_stime)
               - (wrk_before.ru_utime + wrk_before.ru_stime))
    web_ms = used.get("web", 0.0) * 1000 / max(requests, 1)
    return [name, f"{requests / wall:.0f}", p50, p99, f"{web_ms:.3f}",
            f"{used.get('web', 0.0) / wall:.2f}",
            f"{(used.get('worker', 0.0) + used.get('periodic', 0.0)) / wall:.2f}",
            f"{wrk_cpu / wall:.2f}", f"{load:.2f}"]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.set_defaults(server_workers=min(os.cpu_count() or 1, 4))
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--only", nargs="*", choices=sorted(TARGETS), default=sorted(TARGETS))
    args = p.parse_args()
    with server_for(args, "ceiling") as server:
        server.extra_env.update(META_APP_SECRET="ceiling-secret")
        server.start(workers=args.server_workers, worker=not args.no_worker)
        settle(server.proc.pid)
        rows = [run_one(server, name, args.seconds, args.connections) for name in args.only]
    print_table(
        f"the HTTP stack's ceiling, wrk -t2 -c{args.connections}, {args.seconds:g} s each, "
        f"{args.server_workers} web process(es)"
        f"{'' if args.no_worker else ' + task workers and periodic runner'}, "
        f"{os.cpu_count()} cores" + settings_title(args),
        ["endpoint", "req/s", "p50", "p99", "web CPU ms/req", "web cores",
         "workers+periodic cores", "wrk cores", "load1 before"], rows)


if __name__ == "__main__":
    main()
