"""How busy the embedded database's write lock is, seen from outside the server.

    .venv/bin/python bench/core/writelock.py DATABASE --seconds 15 [--hz 500]

Every writer of a desk on SQLite (web processes, task workers, the periodic runner) takes an
exclusive flock on `<database>.writelock` for the whole of its write transaction, the fsync of
its COMMIT included (tanggap/conf/sqlite/base.py). This script reads /proc/locks `--hz` times a
second for `--seconds` and prints the share of samples in which some process held that lock and
how many writers were queued behind it. Reading /proc/locks takes no lock, so the server runs
as it would without the script (which costs one core about 1-2 % at 500 Hz).

Why: with 16 wrk connections the inbound stalled near 900/s while a third of the 2 cores stayed
idle. A lock held nearly all the time says the rate is bound by the work done inside the write
transaction (the writes, the commit's fsync), not by CPU; a lock mostly free says the opposite.

Before sampling it checks that it reads /proc/locks right: it flocks a temporary file of its own
and must see that lock held, then released (exit status 2 if not).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import tempfile
import time


def lock_state(locks: str, inode: int) -> tuple[bool, int]:
    """(whether a process holds a write flock on `inode`, how many wait for one), from the text
    of /proc/locks. A holder's line reads `1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF`,
    a waiter's `1: -> FLOCK  ADVISORY  WRITE 1235 fd:01:5678 0 EOF`."""
    held, waiting = False, 0
    wanted = str(inode)
    for line in locks.splitlines():
        fields = line.split()
        blocked = len(fields) > 1 and fields[1] == "->"
        if blocked:
            fields = fields[1:]
        # fields: "N:", "FLOCK", "ADVISORY", "WRITE", pid, "maj:min:inode", start, end
        if len(fields) < 6 or fields[1] != "FLOCK" or fields[5].rsplit(":", 1)[-1] != wanted:
            continue
        if blocked:
            waiting += 1
        elif fields[3] == "WRITE":
            held = True
    return held, waiting


def _read_locks() -> str:
    with open("/proc/locks") as f:
        return f.read()


def self_check() -> None:
    with tempfile.NamedTemporaryFile() as probe:
        inode = os.fstat(probe.fileno()).st_ino
        fcntl.flock(probe.fileno(), fcntl.LOCK_EX)
        seen_held = lock_state(_read_locks(), inode)[0]
        fcntl.flock(probe.fileno(), fcntl.LOCK_UN)
        seen_free = not lock_state(_read_locks(), inode)[0]
    if not (seen_held and seen_free):
        raise SystemExit(2)


def sample(path: str, seconds: float, hz: float) -> dict:
    inode = os.stat(path).st_ino
    period = 1.0 / hz
    samples = held = waiting = 0
    start = time.perf_counter()
    next_at = start
    while True:
        now = time.perf_counter()
        if now - start >= seconds:
            break
        if now < next_at:
            time.sleep(next_at - now)
        next_at += period
        is_held, queued = lock_state(_read_locks(), inode)
        samples += 1
        held += is_held
        waiting += queued
    return {"samples": samples, "held_share": round(held / max(samples, 1), 3),
            "writers_waiting_mean": round(waiting / max(samples, 1), 2)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("database", help="the SQLite file (its .writelock beside it is watched)")
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--hz", type=float, default=500.0)
    args = p.parse_args()
    self_check()
    found = sample(args.database + ".writelock", args.seconds, args.hz)
    print(f"write lock held in {100 * found['held_share']:.0f} % of {found['samples']} samples, "
          f"{found['writers_waiting_mean']:.2f} writers waiting on average")
    print(json.dumps({"figure": "sqlite_write_lock", **found}))


if __name__ == "__main__":
    main()
