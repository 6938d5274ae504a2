"""The search documents of cases (cases.search) and each database's index over them.

SQLite: an FTS5 table with external content (the documents' own table), kept by triggers, so an
insert, update or delete of a document changes the index in the same transaction. Accents are
folded by the tokenizer too, and two- and three-letter prefixes have their own index.

PostgreSQL: a stored tsvector of the words with a GIN index for the full-text query, and a
trigram GIN index (pg_trgm) for the fallback on near spellings.

Existing cases get their documents here, in batches.
"""

import django.db.models.deletion
from django.db import migrations, models

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE cases_search_fts USING fts5(
        words, content='cases_casesearch', content_rowid='case_id',
        tokenize="unicode61 remove_diacritics 2", prefix='2 3')""",
    """CREATE TRIGGER cases_search_ai AFTER INSERT ON cases_casesearch BEGIN
        INSERT INTO cases_search_fts(rowid, words) VALUES (new.case_id, new.words); END""",
    """CREATE TRIGGER cases_search_ad AFTER DELETE ON cases_casesearch BEGIN
        INSERT INTO cases_search_fts(cases_search_fts, rowid, words)
        VALUES ('delete', old.case_id, old.words); END""",
    """CREATE TRIGGER cases_search_au AFTER UPDATE ON cases_casesearch BEGIN
        INSERT INTO cases_search_fts(cases_search_fts, rowid, words)
        VALUES ('delete', old.case_id, old.words);
        INSERT INTO cases_search_fts(rowid, words) VALUES (new.case_id, new.words); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS cases_search_ai",
    "DROP TRIGGER IF EXISTS cases_search_ad",
    "DROP TRIGGER IF EXISTS cases_search_au",
    "DROP TABLE IF EXISTS cases_search_fts",
]
PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """ALTER TABLE cases_casesearch ADD COLUMN tsv tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', words)) STORED""",
    "CREATE INDEX cases_search_tsv ON cases_casesearch USING gin (tsv)",
    "CREATE INDEX cases_search_trgm ON cases_casesearch USING gin (words gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS cases_search_trgm",
    "DROP INDEX IF EXISTS cases_search_tsv",
    "ALTER TABLE cases_casesearch DROP COLUMN IF EXISTS tsv",
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement)


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_FORWARD)
    elif vendor == "postgresql":
        _run(schema_editor, PG_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_BACKWARD)
    elif vendor == "postgresql":
        _run(schema_editor, PG_BACKWARD)


def index_existing(apps, schema_editor):
    from tanggap.cases.search import case_document

    Case = apps.get_model("cases", "Case")
    Message = apps.get_model("cases", "Message")
    Note = apps.get_model("cases", "Note")
    CaseSearch = apps.get_model("cases", "CaseSearch")
    ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 500):
        batch = ids[start:start + 500]
        texts = {pk: [] for pk in batch}
        for model in (Message, Note):
            for case_id, text in (model.objects.filter(case_id__in=batch)
                                  .order_by("case_id", "id").values_list("case_id", "text")):
                texts[case_id].append(text)
        CaseSearch.objects.bulk_create([
            CaseSearch(case_id=pk, workspace_id=workspace_id,
                       words=case_document(name=name, handle=handle, tracking_number=tracking,
                                           texts=texts[pk]))
            for pk, workspace_id, tracking, name, handle in Case.objects.filter(pk__in=batch)
            .values_list("pk", "workspace_id", "tracking_number", "contact__display_name",
                         "contact__external_id")
        ])


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0008_case_status_diteruskan"),
        ("workspaces", "0002_integration_role_second_factor"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseSearch",
            fields=[
                ("case", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE,
                                              primary_key=True, related_name="+",
                                              serialize=False, to="cases.case")),
                ("words", models.TextField(blank=True, default="")),
                ("workspace", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                related_name="+",
                                                to="workspaces.workspace")),
            ],
        ),
        migrations.RunPython(forward, backward),
        migrations.RunPython(index_existing, migrations.RunPython.noop),
    ]
