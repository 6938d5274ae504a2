"""The access generation (workspaces.models.AccessGeneration) and the triggers that move it.

The triggers fire on exactly the columns the inbound's token lookup reads
(workspaces.access._bearer_sql): a token's hash and user, a membership's existence, user,
workspace and role, a user's active flag and username. `last_used_at` (written once a minute
by a busy integration), `last_login` and the rest do not move it. The channel's triggers are
connectors' (0011)."""

from django.db import migrations, models

# (table, event) pairs; an UPDATE lists the columns that move the generation.
WATCHED = [
    ("workspaces_apitoken", "DELETE"),
    ("workspaces_apitoken", "UPDATE OF token_hash, user_id"),
    ("workspaces_membership", "INSERT"),
    ("workspaces_membership", "DELETE"),
    ("workspaces_membership", "UPDATE OF role, user_id, workspace_id"),
    ("auth_user", "DELETE"),
    ("auth_user", "UPDATE OF is_active, username"),
]

BUMP = "UPDATE workspaces_accessgeneration SET n = n + 1"
PG_FUNCTION = f"""CREATE OR REPLACE FUNCTION workspaces_access_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN {BUMP}; RETURN NULL; END $$"""


def trigger_name(table: str, event: str) -> str:
    return f"{table}_access_{event.split()[0].lower()}"


def create_triggers(schema_editor, watched) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
    for table, event in watched:
        name = trigger_name(table, event)
        if vendor == "sqlite":
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END")
        elif vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION workspaces_access_changed()")


def drop_triggers(schema_editor, watched) -> None:
    vendor = schema_editor.connection.vendor
    for table, event in watched:
        name = trigger_name(table, event)
        if vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")


def forward(apps, schema_editor):
    apps.get_model("workspaces", "AccessGeneration").objects.create(id=1, n=0)
    create_triggers(schema_editor, WATCHED)


def backward(apps, schema_editor):
    drop_triggers(schema_editor, WATCHED)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS workspaces_access_changed()")


class Migration(migrations.Migration):

    dependencies = [
        ("workspaces", "0004_approval_options"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessGeneration",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("n", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(forward, backward),
    ]
