"""Migration steps the desk's migrations share."""

from __future__ import annotations

from collections.abc import Callable, Sequence


def single_column_index_dropper(app_label: str, fields: Sequence[tuple[str, str]]
                                ) -> tuple[Callable, Callable]:
    """RunPython's forward and backward functions that drop, then restore, the single-column
    index Django made for each (model, field) foreign key, found by introspection as Django's
    own AlterField finds it. Use it beside an AlterField(db_index=False) in
    SeparateDatabaseAndState's state_operations: on SQLite Django's AlterField would copy the
    whole table to drop one index, and the copy loses the table's triggers (the audit log's
    append-only guard among them)."""

    def indexes(schema_editor, model, column):
        return schema_editor._constraint_names(model, [column], index=True, unique=False,
                                               primary_key=False)

    def drop(apps, schema_editor):
        for model_name, field_name in fields:
            model = apps.get_model(app_label, model_name)
            column = model._meta.get_field(field_name).column
            for name in indexes(schema_editor, model, column):
                schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def restore(apps, schema_editor):
        for model_name, field_name in fields:
            model = apps.get_model(app_label, model_name)
            field = model._meta.get_field(field_name)
            if not indexes(schema_editor, model, field.column):
                schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    return drop, restore
