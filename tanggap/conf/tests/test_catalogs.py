"""Every user-facing string has its Indonesian translation: each catalog of the project (the
shared one and each room's own) translates every entry, keeps none marked fuzzy (Django skips
those), and its compiled .mo holds exactly what the .po says, so a string added without running
`msgfmt` fails here rather than showing English on an Indonesian desk."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(ROOT.rglob("locale/id/LC_MESSAGES/django.po"))


def _entries(po: Path):
    """(msgid, msgstr or msgstr[0], fuzzy) for each entry but the header."""
    entries, fuzzy, key, parts = [], False, None, {}
    for line in po.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and key:
            parts[key] += ast.literal_eval(line)
        elif line.startswith(("msgid ", "msgid_plural ", "msgstr ", "msgstr[0] ", "msgctxt ")):
            key, _space, value = line.partition(" ")
            parts[key] = ast.literal_eval(value)
        elif not line.strip() and parts:
            if parts.get("msgid") and "msgid_plural" not in parts:
                entries.append((parts["msgid"], parts.get("msgstr", ""), fuzzy,
                                parts.get("msgctxt")))
            elif parts.get("msgid"):
                # A plural: checked by its first form, looked up as one of them.
                entries.append(((parts["msgid"], parts["msgid_plural"]),
                                parts.get("msgstr[0]", ""), fuzzy, parts.get("msgctxt")))
            fuzzy, key, parts = False, None, {}
    return entries


def _compiled(compiled, msgid, ctx) -> str:
    if isinstance(msgid, tuple):
        return (compiled.npgettext(ctx, *msgid, 1) if ctx else compiled.ngettext(*msgid, 1))
    return compiled.pgettext(ctx, msgid) if ctx else compiled.gettext(msgid)


def test_there_are_catalogs():
    assert len(CATALOGS) >= 5 and ROOT / "locale/id/LC_MESSAGES/django.po" in CATALOGS


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_string_is_translated_and_compiled(po):
    entries = _entries(po)
    assert entries
    untranslated = [msgid for msgid, msgstr, _fuzzy, _ctx in entries if not msgstr.strip()]
    fuzzy = [msgid for msgid, _msgstr, is_fuzzy, _ctx in entries if is_fuzzy]
    assert (untranslated, fuzzy) == ([], [])
    with open(po.with_suffix(".mo"), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [msgid for msgid, msgstr, _fuzzy, ctx in entries if _compiled(compiled, msgid, ctx)
             != msgstr]
    assert stale == [], "run msgfmt -o django.mo django.po"
