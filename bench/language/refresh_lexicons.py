"""Regenerate the slang and swear-word copies shipped in tanggap/language/data/.

Reads the MIT-licensed upstream lists (each named with its origin in the SOURCE.md beside the
shipped copy: IndoCollex, NLP_bahasa_resources, indonesian-badwords) from a directory laid out
as indocollex/, nlp_bahasa_resources/, indonesian_badwords_npm/, and writes only the rows the
normaliser can use, so the package carries no more than it needs. The CC BY-NC-SA
id_multilabel_hs data is never read here: it must not ship.

    python bench/language/refresh_lexicons.py --sources DIR
"""

import argparse
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "tanggap" / "language" / "data"
WORD = re.compile(r"^[a-z][a-z0-9'-]*$")


def usable(informal: str, formal: str) -> bool:
    # Multi-word keys cannot be looked up token by token, identity rows add nothing, and
    # IndoCollex's digit rows are measurements ("1007mb") rather than slang.
    return bool(WORD.match(informal)) and informal != formal and bool(formal.strip())


def indocollex_rows(shared: Path) -> list[tuple[str, str]]:
    rows = []
    path = shared / "indocollex" / "inforformal-formal-Indonesian-dictionary.tsv"
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        informal, _, formal = line.partition("\t")
        informal, formal = informal.strip().lower(), formal.strip().strip('"').lower()
        if usable(informal, formal) and not any(c.isdigit() for c in informal):
            rows.append((informal, formal))
    return rows


def nlp_bahasa_rows(shared: Path) -> list[tuple[str, str]]:
    path = shared / "nlp_bahasa_resources" / "combined_slang_words.txt"
    pairs = json.loads(path.read_text(encoding="utf-8"))
    return [
        (k.strip().lower(), v.strip().lower())
        for k, v in pairs.items()
        if usable(k.strip().lower(), v.strip().lower())
    ]


def write_tsv(path: Path, header: str, rows: list[tuple[str, str]]) -> None:
    seen: dict[str, str] = {}
    for informal, formal in rows:
        seen.setdefault(informal, formal)
    body = "".join(f"{k}\t{v}\n" for k, v in sorted(seen.items()))
    path.write_text(f"{header}\n{body}", encoding="utf-8")
    print(f"{path.relative_to(REPO)}: {len(seen)} rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", dest="shared", type=Path, required=True, metavar="DIR",
                        help="directory holding the upstream lists (see the docstring)")
    args = parser.parse_args()
    write_tsv(OUT / "indocollex" / "slang.tsv", "informal\tformal", indocollex_rows(args.shared))
    write_tsv(
        OUT / "nlp_bahasa_resources" / "slang.tsv", "informal\tformal", nlp_bahasa_rows(args.shared)
    )
    words = (args.shared / "indonesian_badwords_npm" / "badwords.txt").read_text(encoding="utf-8")
    target = OUT / "indonesian_badwords" / "badwords.txt"
    target.write_text(words, encoding="utf-8")
    print(f"{target.relative_to(REPO)}: {len(words.split())} words")


if __name__ == "__main__":
    main()
