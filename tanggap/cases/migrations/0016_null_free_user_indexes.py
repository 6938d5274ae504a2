"""Partial indexes, over non-null rows only, for the foreign keys that are null on most rows:
Case.claimed_by, Case.answered_by, Case.speaking_workspace, Contact.person and Message.sent_by.
Every citizen message inserted an entry into each of their full indexes (a B-tree write and a
page in the commit) though no lookup asks for their nulls; the lookups they serve (`= id`,
`IN (...)`, the foreign keys' checks on PostgreSQL and SQLite) imply "not null", so both
databases use the partial index for them (tanggap/cases/tests/test_query_plans.py). Measured
in docs/performance.md ("Indexes over the rows that have a value").

The model state changes by AlterField (db_index=False); the database only drops the old index
(tanggap.conf.migrationops): on SQLite Django's AlterField would copy each table.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tanggap.conf.migrationops import single_column_index_dropper

drop, restore = single_column_index_dropper("cases", [
    ("case", "claimed_by"), ("case", "answered_by"), ("case", "speaking_workspace"),
    ("contact", "person"), ("message", "sent_by"),
])


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0015_search_without_short_prefixes'),
        ('connectors', '0011_channel_access_generation'),
        ('workspaces', '0005_access_generation'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='case',
                    name='answered_by',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='claimed_by',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='case',
                    name='speaking_workspace',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='workspaces.workspace'),
                ),
                migrations.AlterField(
                    model_name='contact',
                    name='person',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cases.contact'),
                ),
                migrations.AlterField(
                    model_name='message',
                    name='sent_by',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
            ],
            database_operations=[migrations.RunPython(drop, restore)],
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('claimed_by__isnull', False)), fields=['claimed_by'], name='case_claimed_by_idx'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('answered_by__isnull', False)), fields=['answered_by'], name='case_answered_by_idx'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('speaking_workspace__isnull', False)), fields=['speaking_workspace'], name='case_speaking_ws_idx'),
        ),
        migrations.AddIndex(
            model_name='contact',
            index=models.Index(condition=models.Q(('person__isnull', False)), fields=['person'], name='contact_person_idx'),
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('sent_by__isnull', False)), fields=['sent_by'], name='message_sent_by_idx'),
        ),
    ]
