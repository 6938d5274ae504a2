"""Drop Contact.workspace's single-column index: the unique constraint contact_identity
(workspace, platform, external_id) leads with it and serves its lookups (a workspace's
contacts, the foreign key's checks), and each new citizen paid an insert into both.

The model state changes by AlterField (db_index=False); the database only drops the index
(tanggap.conf.migrationops): on SQLite Django's AlterField would copy the table.
"""

import django.db.models.deletion
from django.db import migrations, models

from tanggap.conf.migrationops import single_column_index_dropper

drop, restore = single_column_index_dropper("cases", [("contact", "workspace")])


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0016_null_free_user_indexes"),
        ("workspaces", "0005_access_generation"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="contact",
                    name="workspace",
                    field=models.ForeignKey(db_index=False,
                                            on_delete=django.db.models.deletion.CASCADE,
                                            to="workspaces.workspace"),
                ),
            ],
            database_operations=[migrations.RunPython(drop, restore)],
        ),
    ]
