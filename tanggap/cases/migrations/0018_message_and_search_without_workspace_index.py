"""Drop the single-column workspace indexes of Message and CaseSearch: no lookup reads messages
or search documents by workspace alone (a workspace's messages are read through its cases,
message_case_idx; a search goes through the full-text index, then the cases by id), and every
message and every new case's document paid an entry in them. A workspace cannot be removed
while its audit events protect it, so the foreign keys' checks on removal do not need them
either.

The model state changes by AlterField (db_index=False); the database only drops the indexes
(tanggap.conf.migrationops): on SQLite Django's AlterField would copy each table, and the copy
of the search documents' table would lose the triggers that keep the full-text index.
"""

import django.db.models.deletion
from django.db import migrations, models

from tanggap.conf.migrationops import single_column_index_dropper

drop, restore = single_column_index_dropper("cases", [("message", "workspace"),
                                                      ("casesearch", "workspace")])


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0017_contact_workspace_led_by_identity"),
        ("workspaces", "0005_access_generation"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="workspace",
                    field=models.ForeignKey(db_index=False,
                                            on_delete=django.db.models.deletion.CASCADE,
                                            to="workspaces.workspace"),
                ),
                migrations.AlterField(
                    model_name="casesearch",
                    name="workspace",
                    field=models.ForeignKey(db_index=False,
                                            on_delete=django.db.models.deletion.CASCADE,
                                            related_name="+", to="workspaces.workspace"),
                ),
            ],
            database_operations=[migrations.RunPython(drop, restore)],
        ),
    ]
