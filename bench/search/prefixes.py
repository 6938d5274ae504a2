"""Short prefix queries with and without FTS5's own prefix indexes, on a seeded desk.

    .venv/bin/python bench/search/prefixes.py PATH/tanggap.sqlite3 [--rounds 15]

The desk comes from bench/core/seed.py --varied --search-index (the search benchmark's desk of
100,000 cases and 500,000 messages; keep its data dir). Next to the search index as migrated,
a second FTS5 table over the same documents is built with the other choice (prefix='2 3' if the
migrated one has none, none if it has them), then each query is run on both, alternated, and
the medians of CPU ms printed: the capped count that cases.search.matching starts with, and
every match. The second table is dropped at the end. What migration cases 0015 weighed.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time

MIGRATED = "cases_search_fts"
OTHER = "bench_search_fts_other"
QUERIES = ['"ja"*', '"rt"*', '"gak"*', '"air"*', '("gak"* OR "tidak"*) AND "mengalir"*',
           '"air"* AND "pdam"*', '"lampu"*', '"sudirman"*']


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("database")
    p.add_argument("--rounds", type=int, default=15)
    args = p.parse_args()
    con = sqlite3.connect(args.database)
    migrated_sql = con.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                               [MIGRATED]).fetchone()[0]
    with_prefixes = "prefix=" in migrated_sql
    option = "" if with_prefixes else ", prefix='2 3'"
    con.execute(f"DROP TABLE IF EXISTS {OTHER}")
    started = time.perf_counter()
    con.execute(f"""CREATE VIRTUAL TABLE {OTHER} USING fts5(words, content='cases_casesearch',
        content_rowid='case_id', tokenize="unicode61 remove_diacritics 2"{option})""")
    con.execute(f"INSERT INTO {OTHER}({OTHER}) VALUES ('rebuild')")
    con.commit()
    documents = con.execute("SELECT count(*) FROM cases_casesearch").fetchone()[0]
    print(f"{documents} documents; the index {'without' if with_prefixes else 'with'} prefix "
          f"indexes built in {time.perf_counter() - started:.1f} s")
    names = {True: MIGRATED if with_prefixes else OTHER, False: OTHER if with_prefixes else MIGRATED}
    try:
        print("| query | capped count, ms: with / without prefix indexes | every match, ms: with "
              "/ without | matches |")
        print("|---|---|---|---|")
        for q in QUERIES:
            times = {(prefixed, capped): [] for prefixed in (True, False) for capped in (True, False)}
            matches = 0
            for i in range(args.rounds):
                for prefixed in ((True, False) if i % 2 else (False, True)):
                    table = names[prefixed]
                    for capped in (True, False):
                        sql = (f"SELECT count(*) FROM (SELECT rowid FROM {table} WHERE {table} "
                               f"MATCH ? LIMIT 2000)" if capped else
                               f"SELECT count(*) FROM {table} WHERE {table} MATCH ?")
                        c = time.process_time()
                        found = con.execute(sql, [q]).fetchone()[0]
                        times[(prefixed, capped)].append(time.process_time() - c)
                        if not capped:
                            matches = found
            ms = {key: 1000 * statistics.median(values) for key, values in times.items()}
            print(f"| `{q}` | {ms[(True, True)]:.2f} / {ms[(False, True)]:.2f} | "
                  f"{ms[(True, False)]:.2f} / {ms[(False, False)]:.2f} | {matches} |")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {OTHER}")
        con.commit()


if __name__ == "__main__":
    main()
