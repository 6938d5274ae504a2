"""A channel removed, or moved to another workspace or platform, moves the access generation
(workspaces 0005): the inbound's token lookup reads the channel with the token and keeps it."""

from importlib import import_module

from django.db import migrations

access = import_module("tanggap.workspaces.migrations.0005_access_generation")

WATCHED = [
    ("connectors_channelaccount", "DELETE"),
    ("connectors_channelaccount", "UPDATE OF workspace_id, platform"),
]


def forward(apps, schema_editor):
    access.create_triggers(schema_editor, WATCHED)


def backward(apps, schema_editor):
    access.drop_triggers(schema_editor, WATCHED)


class Migration(migrations.Migration):

    dependencies = [
        ("connectors", "0010_channel_account_proof"),
        ("workspaces", "0005_access_generation"),
    ]

    operations = [migrations.RunPython(forward, backward)]
