"""The lexicons shipped in ``data/``, loaded once per process.

Every table is read lazily on first use and cached, so importing the package costs nothing and
the CLI starts fast. Files are plain TSV with ``#`` comments so that people who are not
programmers can review and extend them. This module must never import Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("data")


def read_tsv(path: Path) -> list[list[str]]:
    """Rows of a TSV file, skipping blank lines, ``#`` comments and a header row."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = [cell.strip() for cell in line.split("\t")]
        if cells[0] in ("informal", "term", "topic", "intent", "code"):
            continue
        rows.append(cells)
    return rows


@dataclass(frozen=True, slots=True)
class SlangTables:
    exact: dict[str, str]  # keys written in capitals, matched case-sensitively (KK)
    lower: dict[str, str]  # everything else, matched on the lower-cased token


@cache
def slang() -> SlangTables:
    """Informal → formal, project table first, then IndoCollex, then NLP_bahasa_resources."""
    exact: dict[str, str] = {}
    lower: dict[str, str] = {}
    for key, formal in read_tsv(DATA / "project" / "desk_slang.tsv"):
        (exact if key.isupper() else lower)[key] = formal
    for source in ("indocollex", "nlp_bahasa_resources"):
        for key, formal in read_tsv(DATA / source / "slang.tsv"):
            lower.setdefault(key, formal)
    return SlangTables(exact=exact, lower=lower)


@cache
def kasar_terms() -> dict[tuple[str, ...], str]:
    """Normalised term (as a token tuple) → class: kasar, hewan, kotoran, sebutan or bukan."""
    terms: dict[tuple[str, ...], str] = {}
    for word in (DATA / "indonesian_badwords" / "badwords.txt").read_text("utf-8").split("\n"):
        word = word.strip().lower().replace("'", "")
        if word:
            terms[tuple(word.split())] = "kasar"
    for term, kind in read_tsv(DATA / "project" / "kasar.tsv"):
        terms[tuple(term.split())] = kind
    # A single word marked `bukan` leaves the list; a phrase marked `bukan` stays, so that the
    # longest match ("tai lalat", a mole) shields the word inside it.
    return {term: kind for term, kind in terms.items() if kind != "bukan" or len(term) > 1}


@cache
def kasar_exceptions() -> frozenset[str]:
    """Single words marked ``bukan``: never abusive, not even as an affixed form (sarapan)."""
    return frozenset(term for term, kind in read_tsv(DATA / "project" / "kasar.tsv")
                     if kind == "bukan" and " " not in term)


@cache
def weighted_phrases(name: str) -> list[tuple[str, tuple[str, ...], float]]:
    """Rows ``label, phrase, weight`` of ``data/project/<name>.tsv`` (topics, intents, tone)."""
    rows = []
    for cells in read_tsv(DATA / "project" / f"{name}.tsv"):
        label, phrase = cells[0], cells[1]
        weight = float(cells[2]) if len(cells) > 2 and cells[2] else 1.0
        rows.append((label, tuple(phrase.split()), weight))
    return rows


@cache
def vocabulary() -> frozenset[str]:
    """Words the normaliser accepts as real, used to choose between repair candidates.

    Without it ``maaaaf`` could only collapse to ``maf``; with it the normaliser tries ``maaf``.
    """
    words: set[str] = set()
    tables = slang()
    for table in (tables.lower, tables.exact):
        for key, formal in table.items():
            words.add(key.lower())
            words.update(formal.split())
    for term in kasar_terms():
        words.update(term)
    for name in ("topics", "intents", "tone", "words"):
        for _label, phrase, _weight in weighted_phrases(name):
            words.update(phrase)
    return frozenset(words)
