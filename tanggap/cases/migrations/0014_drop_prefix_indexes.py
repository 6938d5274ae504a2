"""Drop the single-column indexes of three foreign keys that another index of the same table
leads with: Case.contact (case_thread_idx), Message.case (message_case_idx: on SQLite the two
were the same index, since every index ends with the row id) and Message.channel
(message_platform_id_idx). Every lookup they served, and the foreign keys' own checks on
PostgreSQL, use the longer index (`tanggap/cases/tests/test_query_plans.py` pins the hot
queries' plans on SQLite), and each index cost every insert of a case or message
(docs/performance.md, "One inbound message").

Case.workspace keeps its index although three others lead with it: for `id IN (…) AND
workspace_id = %s` SQLite searched it by (workspace_id, id), and without it walked every case
of the workspace by case_ws_created_idx once the list held four ids or more.

The model state changes by AlterField (db_index=False); the database only drops the index,
found by introspection as Django's own AlterField finds it: on SQLite, Django's AlterField
would copy the whole table to drop one index.
"""

import django.db.models.deletion
from django.db import migrations, models

from tanggap.conf.migrationops import single_column_index_dropper

drop, restore = single_column_index_dropper(
    "cases", [("case", "contact"), ("message", "case"), ("message", "channel")])


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0013_case_speaking_workspace"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="case", name="contact",
                    field=models.ForeignKey(db_index=False,
                                            on_delete=django.db.models.deletion.PROTECT,
                                            related_name="cases", to="cases.contact")),
                migrations.AlterField(
                    model_name="message", name="case",
                    field=models.ForeignKey(db_index=False,
                                            on_delete=django.db.models.deletion.CASCADE,
                                            related_name="messages", to="cases.case")),
                migrations.AlterField(
                    model_name="message", name="channel",
                    field=models.ForeignKey(db_index=False,
                                            on_delete=django.db.models.deletion.PROTECT,
                                            to="connectors.channelaccount")),
            ],
            database_operations=[migrations.RunPython(drop, restore)],
        ),
    ]
