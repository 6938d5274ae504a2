"""The SQLite search index (cases.search, migration 0009) without its own indexes of two- and
three-letter prefixes, rebuilt from the documents.

Why: each of those prefix indexes was about a fifth of the index's work on every write, and the
index is rewritten for every citizen message (a follow-up rewrites its case's whole document):
together 45 % of the index's instructions, 3-4 % of an inbound's CPU. What they served, a query
word of two or three letters ("ja", "gak", "air"), FTS5 answers without them by merging the lists
of every word with that prefix: on the search benchmark's desk of 100,000 cases, the capped count
the search starts with took 0.26 -> 5.5 ms for "ja" and 0.15-0.17 -> 0.8-0.9 ms for "air" and
"gak" (docs/performance.md, "One inbound message"), within the inbox's budget.

PostgreSQL's tsvector and its GIN index are unchanged (a prefix query there never had an index of
its own). Rebuilding reads every document once: 2.5 s for 100,000 cases on the development
machine."""

from django.db import migrations

TRIGGERS = ["cases_search_ai", "cases_search_ad", "cases_search_au"]


def _create_sql(prefix: str) -> str:
    option = f", prefix='{prefix}'" if prefix else ""
    return (f"""CREATE VIRTUAL TABLE cases_search_fts USING fts5(
        words, content='cases_casesearch', content_rowid='case_id',
        tokenize="unicode61 remove_diacritics 2"{option})""")


def _rebuild(schema_editor, prefix: str) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    # The triggers of 0009 name the table; they are kept as they are, the table under them
    # replaced and filled again from the documents (FTS5's 'rebuild').
    triggers = []
    with schema_editor.connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
                           [name])
            row = cursor.fetchone()
            if row is not None:
                triggers.append((name, row[0]))
    for name, _sql in triggers:
        schema_editor.execute(f"DROP TRIGGER {name}")
    schema_editor.execute("DROP TABLE IF EXISTS cases_search_fts")
    schema_editor.execute(_create_sql(prefix))
    schema_editor.execute("INSERT INTO cases_search_fts(cases_search_fts) VALUES ('rebuild')")
    for _name, sql in triggers:
        schema_editor.execute(sql)


def forward(apps, schema_editor):
    _rebuild(schema_editor, "")


def backward(apps, schema_editor):
    _rebuild(schema_editor, "2 3")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0014_drop_prefix_indexes"),
    ]

    operations = [migrations.RunPython(forward, backward)]
