"""Signed Meta webhooks acknowledged and stored per second, with wrk as the load generator.

    .venv/bin/python bench/connectors/webhooks_wrk.py [--seconds 15] [--connections 16]
        [--bodies N] [--server-workers N] [--no-worker] [--set NAME=VALUE ...]

webhooks.py's Python clients share the 2 cores with the server; wrk (a C client, Debian's
package) leaves them to it, as ingest_wrk.sh does for the inbound API. The bodies (distinct
Facebook feed comments, as in webhooks.py) are signed with the server's META_APP_SECRET
beforehand and written into wrk's Lua script, which sends them in turn on keep-alive
connections; each of wrk's two threads walks its own half, so no body is sent twice while fewer
than --bodies requests are made. A 200 means the raw body is committed. Afterwards the stored
rows are counted in the database and compared with the 200s wrk counted. `tanggap serve` runs
as users run it (its task workers parse the stored bodies meanwhile; --no-worker leaves them
out). `--set` passes settings to the server (`--set TANGGAP_FAST_INTAKE=0` sends the webhooks
through Django's WSGI path, for a before/after in one run). Bounded by --seconds; talks to
127.0.0.1 only. Target (issue 9): >= 2,000/s on SQLite.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "core"))
from ceiling import parts_cpu, settle  # noqa: E402
from common import parser, server_for, settings_title  # noqa: E402
from common import table as print_table  # noqa: E402
from harness import connect_facebook_page  # noqa: E402
from targets import verdict  # noqa: E402
from webhooks import PAGE, SECRET, body  # noqa: E402

from tanggap.connectors.platforms.meta import SIGNATURE_HEADER, sign  # noqa: E402

WRK_THREADS = 2


def lua_script(path: Path, count: int) -> None:
    lines = ["bodies = {}", "signatures = {}"]
    for n in range(count):
        if n % 5000 == 0:  # Lua allows 65,536 constants per function: one function per 5,000
            lines.append("end)();" if n else "")
            lines.append("(function()")
        data = body(n)
        lines.append(f"bodies[{n + 1}] = [==[{data.decode()}]==]")
        lines.append(f'signatures[{n + 1}] = "{sign(data, SECRET)}"')
    lines.append("end)();")
    lines.append(f"""
local threads = {{}}
setup = function(thread)
  thread:set("first", #threads)
  table.insert(threads, thread)
end
init = function(args)
  counter = 0
  ok = 0
end
response = function(status, headers, body)
  if status == 200 and body == "EVENT_RECEIVED" then ok = ok + 1 end
end
done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("ok") end
  io.write(string.format("acknowledged (200 EVENT_RECEIVED): %d\\n", total))
end
request = function()
  -- each wrk thread walks its own half of the bodies
  local n = (first * {count // WRK_THREADS} + counter) % {count} + 1
  counter = counter + 1
  return wrk.format("POST", "/webhooks/meta", {{["Content-Type"]="application/json",
    ["{SIGNATURE_HEADER}"]=signatures[n]}}, bodies[n])
end
""")
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.set_defaults(server_workers=min(os.cpu_count() or 1, 4))
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--bodies", type=int, default=None,
                   help="distinct bodies (default: 6,000 per second of the run)")
    args = p.parse_args()
    if args.database_url:
        sys.exit("webhooks_wrk.py counts the stored rows in the embedded SQLite only")
    with server_for(args, "webhooks-wrk") as server:
        server.extra_env.update(META_APP_SECRET=SECRET)
        server.cli("workspace", "create", "bench", "--name", "Bench")
        connect_facebook_page(server, "bench", PAGE)
        script = server.data_dir / "webhooks.lua"
        if args.bodies is None:
            # More than the server can take in the run: a body sent twice is a redelivery,
            # stored once, and the stored rows could no longer be compared with the 200s.
            args.bodies = max(40000, round(6000 * args.seconds))
        lua_script(script, args.bodies)
        server.start(workers=args.server_workers, worker=not args.no_worker)
        settle(server.proc.pid)
        cpu_before = parts_cpu(server.proc.pid)
        done = subprocess.run(
            ["wrk", f"-t{WRK_THREADS}", f"-c{args.connections}", f"-d{args.seconds:g}s",
             "--latency", "-s", str(script), server.url], capture_output=True, text=True,
            timeout=args.seconds + 120)
        cpu = {k: v - cpu_before.get(k, 0.0) for k, v in parts_cpu(server.proc.pid).items()}
        cpu["worker"] = cpu.get("worker", 0.0) + cpu.get("periodic", 0.0)
        print(done.stdout)
        if done.returncode != 0 or done.stderr:
            # A Lua error makes wrk fall back to plain GET / requests: never a figure.
            sys.exit(f"wrk failed:\n{done.stderr[-2000:]}")
        with sqlite3.connect(server.data_dir / "desk.sqlite3") as conn:
            stored = conn.execute("select count(*) from connectors_webhookdelivery").fetchone()[0]
    requests = int(re.search(r"(\d+) requests in", done.stdout).group(1))
    acknowledged = int(re.search(r"acknowledged \(200 EVENT_RECEIVED\): (\d+)",
                                 done.stdout).group(1))
    seconds = float(re.search(r"requests in ([\d.]+)s", done.stdout).group(1))
    rate = acknowledged / seconds
    load = os.getloadavg()
    print_table(
        f"signed webhooks acknowledged and stored, wrk, sqlite, {args.server_workers} web "
        f"process(es){'' if args.no_worker else ' + task workers'}, {args.connections} "
        f"connections, load average {load[0]:.2f}"
        + settings_title(args),
        ["requests", "acknowledged (200)", "stored rows", "acknowledged/s",
         "web CPU ms each", "workers CPU ms each", "web cores", "workers cores"],
        [[str(requests), str(acknowledged), str(stored), f"{rate:.0f}",
          f"{cpu.get('web', 0) * 1000 / max(acknowledged, 1):.3f}",
          f"{cpu.get('worker', 0) * 1000 / max(acknowledged, 1):.3f}",
          f"{cpu.get('web', 0) / seconds:.2f}", f"{cpu.get('worker', 0) / seconds:.2f}"]])
    if requests > args.bodies:
        raise SystemExit(f"{requests} requests but only {args.bodies} distinct bodies: some were "
                         f"sent twice (redeliveries, stored once); run again with more --bodies")
    # wrk counts only the answers it read; a request cut off by the end of the run may still
    # have been stored. An acknowledged body that is not stored would be a bug.
    if stored < acknowledged:
        raise SystemExit(f"acknowledged {acknowledged} but stored {stored}")
    print(verdict("webhooks_per_s", rate))


if __name__ == "__main__":
    main()
