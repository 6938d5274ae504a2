"""A synthetic city "year" of letters, recombined from the project's written sets.

The project has no city's real mail, yet training time and accuracy must be shown at the size a
city has (~7,000 letters a year). This module builds such a year by a documented, seeded
recombination of the letters its engineers wrote (``data/messages.tsv``, ``letters.tsv``,
``hard.tsv``): **synthetic, not real mail**; its figures say how the engine scales and whether it
keeps above a plain TF-IDF + SVM at that size, not how it does on a real city's letters.

How one synthetic letter is made (``random.Random(seed)``, so every run gives the same year):

1. a topic is drawn from a city-like skew (``TOPIC_SHARE``: roads, drainage and waste often,
   disasters and labour rarely); then one written letter of that topic (the *source*; its
   topic, intent and kasar labels are the synthetic letter's labels);
2. a complaint (intent ``aduan``, not kasar) may gain one sentence of another complaint about
   the same topic, and its sentences may be reordered after the first; other letters keep their
   sentences, since a sentence moved into a question or a thanks could change what it is;
3. the salutation and closing are replaced by others a citizen writes (or none), street names
   and numbers are redrawn, and words are switched between formal and chat spelling
   (``tidak`` ↔ ``gak``, ``yang`` ↔ ``yg``) or lose a vowel, as typing does.

``year("train")`` draws only from the train sides of the written sets (the hash split of
``common.is_test``) and ``year("test")`` only from their test sides, so no written sentence is
on both sides: train on the "previous year", test on the "next". Variants of one source letter
stay similar, so cross-validation *inside* a synthetic year is optimistic; the test year is the
honest figure.

    python bench/language/synthetic.py --side train --size 7000 --output bench/out/year.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys

from bench_topic import SETS, load
from common import is_test

TOPIC_SHARE = {
    "jalan": 14, "drainase_banjir": 11, "sampah_kebersihan": 10, "penerangan_jalan": 8,
    "air_bersih": 8, "adminduk": 7, "sosial_bansos": 7, "ketertiban_umum": 6,
    "lalu_lintas_parkir": 5, "lingkungan_taman": 4, "kesehatan": 4, "pendidikan": 4,
    "perumahan_pertanahan": 4, "listrik": 3, "bencana_darurat": 2, "ketenagakerjaan": 2,
    "lainnya": 1,
}
SALUTATIONS = (
    "", "", "", "Yth. Bapak Wali Kota,", "Yth. Bapak/Ibu,", "Selamat pagi min,", "Pagi min,",
    "Assalamualaikum wr wb,", "Permisi admin,", "Halo min,", "Kepada Yth. Dinas terkait,",
    "Selamat siang Pak,", "Punten min,", "Mohon maaf mengganggu,", "Sugeng enjing,",
)
CLOSINGS = (
    "", "", "", "Terima kasih.", "Mohon ditindaklanjuti.", "Mohon segera ditangani.",
    "Matur nuwun.", "Trims min.", "Atas perhatiannya terima kasih.", "Tolong dibantu ya.",
    "Wassalam.", "Mohon responnya.",
)
STREETS = (
    "Melati", "Kenanga", "Diponegoro", "Sudirman", "Ahmad Yani", "Pahlawan", "Merdeka",
    "Veteran", "Gajah Mada", "Hayam Wuruk", "Kartini", "Imam Bonjol", "Teuku Umar", "Cempaka",
    "Anggrek", "Mawar", "Flamboyan", "Kenjeran", "Rungkut", "Manyar", "Klampis", "Jemursari",
    "Pattimura", "Soekarno Hatta", "Mulawarman", "Sepinggan", "Gunung Sari", "Karang Anyar",
)
# Formal ↔ chat spellings that citizens use both ways.
SPELLINGS = (
    ("tidak", ("gak", "ga", "nggak", "tdk")), ("sudah", ("udah", "sdh", "udh")),
    ("yang", ("yg",)), ("dengan", ("dgn",)), ("saya", ("sy", "aku")), ("untuk", ("utk",)),
    ("tolong", ("tlg",)), ("mohon", ("mhn",)), ("sampai", ("sampe",)), ("belum", ("blm",)),
    ("karena", ("krn", "soalnya")), ("bapak", ("pak",)), ("sekali", ("banget", "bgt")),
    ("juga", ("jg",)), ("kalau", ("kalo", "klo")), ("bagaimana", ("gimana",)),
    ("sekarang", ("skrg",)), ("hari", ("hr",)), ("warga", ("wrg",)), ("depan", ("dpn",)),
)
_TO_CHAT = {formal: chat for formal, chat in SPELLINGS}
_TO_FORMAL = {c: formal for formal, chat in SPELLINGS for c in chat}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")
_STREET = re.compile(r"\b(Jl\.|Jalan|Gg\.|Gang) ([A-Z][a-z]+(?: [A-Z][a-z]+)?)")
_NUMBER = re.compile(r"\b(RT|RW|Blok|No\.?|nomor) ?(\d{1,3})\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]+")
_SALUTATION = re.compile(
    r"^(?:(?:yth\.?|kepada|kpd|selamat (?:pagi|siang|sore|malam)|pagi|siang|sore|malam|"
    r"assalamu'?alaikum(?: wr\.? ?wb\.?)?|halo|permisi|punten|min|admin|bapak|pak|ibu|bu|"
    r"wali ?kota|walikota|wali|dinas \w+)[ ,.!]*)+",
    re.IGNORECASE)


def sources(side: str) -> list[dict]:
    """The written letters of one side of the hash split, all three sets together."""
    rows = [row for name in SETS for row in load(name)]
    return [row for row in rows if is_test(row["text"]) == (side == "test")]


def year(side: str, size: int = 7000, seed: int = 2025) -> list[dict]:
    """``size`` synthetic letters ``{"text", "topic", "intent", "kasar", "source"}``."""
    rng = random.Random(f"{seed}:{side}")
    by_topic: dict[str, list[dict]] = {}
    for row in sources(side):
        by_topic.setdefault(row["topic"], []).append(row)
    topics = [topic for topic in TOPIC_SHARE if by_topic.get(topic)]
    weights = [TOPIC_SHARE[topic] for topic in topics]
    letters = []
    for _ in range(size):
        topic = rng.choices(topics, weights)[0]
        source = rng.choice(by_topic[topic])
        letters.append({"text": letter(source, by_topic[topic], rng), "topic": source["topic"],
                        "intent": source["intent"], "kasar": source["kasar"],
                        "source": source["text"][:40]})
    return letters


def letter(source: dict, same_topic: list[dict], rng: random.Random) -> str:
    body = _SALUTATION.sub("", source["text"]).strip() or source["text"]
    sentences = _SENTENCE.split(body)
    if source["intent"] == "aduan" and not source["kasar"]:
        others = [r for r in same_topic
                  if r is not source and r["intent"] == "aduan" and not r["kasar"]]
        if others and rng.random() < 0.4:
            extra = _SENTENCE.split(_SALUTATION.sub("", rng.choice(others)["text"]).strip())
            sentences.append(rng.choice(extra))
        if len(sentences) > 2 and rng.random() < 0.3:
            rest = sentences[1:]
            rng.shuffle(rest)
            sentences = sentences[:1] + rest
    text = " ".join(s for s in sentences if s)
    text = _STREET.sub(lambda m: f"{m.group(1)} {rng.choice(STREETS)}", text)
    text = _NUMBER.sub(lambda m: f"{m.group(1)} {rng.randint(1, 25)}", text)
    text = _WORD.sub(lambda m: _respell(m.group(), rng), text)
    salutation, closing = rng.choice(SALUTATIONS), rng.choice(CLOSINGS)
    if closing and text[-1] not in ".!?" and rng.random() < 0.5:
        text += "."
    return " ".join(part for part in (salutation, text, closing) if part)


def _respell(word: str, rng: random.Random) -> str:
    lower = word.lower()
    roll = rng.random()
    if lower in _TO_CHAT and roll < 0.35:
        return rng.choice(_TO_CHAT[lower])
    if lower in _TO_FORMAL and roll < 0.35:
        return _TO_FORMAL[lower]
    if len(word) > 5 and word.islower() and roll < 0.02:
        vowels = [i for i, c in enumerate(word[1:-1], start=1) if c in "aiueo"]
        if vowels:
            i = rng.choice(vowels)
            return word[:i] + word[i + 1:]
    return word


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=("train", "test"), default="train")
    parser.add_argument("--size", type=int, default=7000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--output", required=True, help="JSON Lines for `tanggap train`")
    args = parser.parse_args()
    rows = year(args.side, args.size, args.seed)
    with open(args.output, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({k: row[k] for k in ("text", "topic", "intent", "kasar")},
                                    ensure_ascii=False) + "\n")
    print(f"{len(rows)} synthetic letters ({args.side} side sources, seed {args.seed}) "
          f"-> {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
