"""The desk's rows (contacts, cases, messages, notes, labels, search documents, the language
model's record) are written only by the cases room: other rooms report through cases.actions
(record_delivery, record_fetched_text, anonymise_case_rows, ...), so the one-answer and audit
rules live in one place (docs/architecture.md). Read from the source, like the import contracts."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]
DESK_MODELS = {"Case", "Contact", "Message", "Note", "TriageLabel", "CaseSearch", "TriageModel"}
WRITES = {"update", "create", "bulk_update", "bulk_create", "delete", "get_or_create",
          "update_or_create"}


def _model_of(node) -> str | None:
    """The model `X` of a chain `X.objects.<...>`, or None."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr == "objects" and isinstance(node.value, ast.Name):
                return node.value.id
            node = node.value
        else:
            return None


def desk_writes(source: str) -> list[tuple[int, str]]:
    """(line, "Model.method") of every ORM write to a desk model in `source`, and of every
    precompiled insert of one (tanggap.conf.statements)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr in WRITES and _model_of(node.func.value) in DESK_MODELS:
            found.append((node.lineno, f"{_model_of(node.func.value)}.{node.func.attr}"))
        elif (node.func.attr == "insert" and node.args and isinstance(node.args[0], ast.Call)
              and isinstance(node.args[0].func, ast.Name)
              and node.args[0].func.id in DESK_MODELS):
            found.append((node.lineno, f"{node.args[0].func.id}.insert"))
        elif (node.func.attr in ("insert_values", "create") and node.args
              and isinstance(node.args[0], ast.Name) and node.args[0].id in DESK_MODELS):
            found.append((node.lineno, f"{node.args[0].id}.{node.func.attr}"))
    return found


def test_the_check_sees_writes_written_over_several_lines():
    assert desk_writes("Message.objects.filter(pk=1)\\\n    .update(text='x')\n"
                       "statements.insert(Case(pk=1))\nContact.objects.get_or_create(pk=1)\n"
                       "Message.objects.filter(pk=1).count()\nBody.objects.create()\n"
                       "statements.insert_values(Message, {})\nstatements.create(\n  Case, {})\n"
                       ) == [
        (1, "Message.update"), (3, "Case.insert"), (4, "Contact.get_or_create"),
        (7, "Message.insert_values"), (8, "Case.create")]


def test_no_other_room_writes_the_desks_rows():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("cases/") or any(
                part in relative.split("/") for part in ("tests", "migrations", "testing")):
            continue
        found += [f"{relative}:{line}: {what}" for line, what in desk_writes(path.read_text())]
    assert found == []
