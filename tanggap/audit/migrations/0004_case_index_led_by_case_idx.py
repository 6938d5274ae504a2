"""Drop AuditEvent.case's single-column index: audit_case_idx (case, id) leads with it and
serves every lookup it served (a case's history, the foreign key's checks), and every audit
event, one per inbound message among them, paid an insert into both.

The model state changes by AlterField (db_index=False); the database only drops the index
(tanggap.conf.migrationops): on SQLite Django's AlterField would copy the table, and the copy
would lose the append-only triggers of migration 0002.
"""

import django.db.models.deletion
from django.db import migrations, models

from tanggap.conf.migrationops import single_column_index_dropper

drop, restore = single_column_index_dropper("audit", [("auditevent", "case")])


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0003_feed_cursor"),
        ("cases", "0016_null_free_user_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="case",
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.PROTECT,
                                            related_name="audit_events", to="cases.case"),
                ),
            ],
            database_operations=[migrations.RunPython(drop, restore)],
        ),
    ]
