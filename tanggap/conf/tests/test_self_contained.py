"""The repository stands alone: no doc, comment, template or script points to a file outside it
(a maintainers' notes folder, another checkout, a machine's home), since a contributor who clones
it has none of those. What a contributor needs is copied in, with its source named."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# Written in pieces, so that this file does not match itself.
_NOTES = "sha" + "red"
OUTSIDE = re.compile(
    r"(?:\.\./)+" + _NOTES + r"/"
    r"|/work/(?:" + _NOTES + r"|main|wt)\b"
    r"|\b" + _NOTES + r"/(?:STYLE|PLATFORMS|ARCHITECTURE|RECIPES|seed|peer|hooks|data)\b")
SKIPPED_DIRS = {".git", ".venv", "node_modules", "__pycache__", ".ruff_cache",
                ".import_linter_cache", ".pytest_cache"}
TEXT_SUFFIXES = {".md", ".py", ".html", ".txt", ".toml", ".yaml", ".yml", ".sh", ".po", ".js",
                 ".css", ".json", ".service", ".timer", ".cfg", ".ini", ""}


def _text_files():
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [name for name in dirs if name not in SKIPPED_DIRS]
        for name in files:
            if name in SKIPPED_DIRS:  # .git is a file in a git worktree
                continue
            path = Path(folder) / name
            if path.suffix in TEXT_SUFFIXES and path.stat().st_size < 2_000_000:
                yield path


def test_the_pattern_finds_what_it_looks_for():
    for pointer in ("see ../" + _NOTES + "/PLATFORMS.md", "/work/" + _NOTES + "/STYLE.md",
                    "copied from " + _NOTES + "/ARCHITECTURE.md", "/work/" + "main/README.md"):
        assert OUTSIDE.search(pointer), pointer
    for fine in ("a shared TANGGAP_UPLOAD_DIR", "shared/by several workers",
                 "docs/platforms.md"):
        assert not OUTSIDE.search(fine), fine


def test_nothing_in_the_repository_points_outside_it():
    found = []
    for path in _text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert found == []
    assert len(list(_text_files())) > 300  # it read the repository, not an empty folder
