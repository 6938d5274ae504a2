"""What SQLite's `synchronous` level costs on this disk: commits per second, FULL against NORMAL.

    .venv/bin/python bench/core/sync.py [--dir /var/lib/tanggap] [--commits 2000]

Each commit is one BEGIN IMMEDIATE, one ~500-byte INSERT and COMMIT, on a connection set up as
the desk sets up its own (WAL, the same PRAGMAs; conf.env.sqlite_database). Run it with --dir on
the disk that will hold the data directory: FULL waits for the disk to confirm every commit
(fsync), so its figure is the disk's, not SQLite's. Sequential commits are the worst case: the
desk's writers queue for the one write lock anyway. docs/configuration.md, "SQLite and power
cuts", says what each level can lose.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time

from tanggap.conf.env import SQLITE_SYNCHRONOUS, sqlite_database


def measure(directory: str, level: str, commits: int) -> float:
    folder = tempfile.mkdtemp(prefix=f"sync-{level}-", dir=directory)
    try:
        path = f"{folder}/bench.sqlite3"
        connection = sqlite3.connect(path, isolation_level=None)
        connection.executescript(sqlite_database(path, synchronous=level)["OPTIONS"]["init_command"])
        connection.execute("CREATE TABLE message (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
        body = "Lampu jalan di Jl. Sudirman mati sejak kemarin malam, mohon segera diperbaiki. " * 6
        started = time.perf_counter()
        for _ in range(commits):
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO message (text) VALUES (?)", (body,))
            connection.execute("COMMIT")
        elapsed = time.perf_counter() - started
        connection.close()
        return elapsed
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", default=tempfile.gettempdir(),
                   help="a directory on the disk to measure (default: the temp directory)")
    p.add_argument("--commits", type=int, default=2000)
    args = p.parse_args()
    print(f"{args.commits} sequential commits in {args.dir}")
    print(f"{'synchronous':<12} {'commits/s':>10} {'ms/commit':>10}")
    for level in SQLITE_SYNCHRONOUS:
        elapsed = measure(args.dir, level, args.commits)
        print(f"{level:<12} {args.commits / elapsed:>10.0f} {elapsed / args.commits * 1000:>10.2f}")


if __name__ == "__main__":
    main()
