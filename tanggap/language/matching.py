"""Phrase lookup over normalised tokens, and the kasar detector shared by triage and tone.

Both the citizen-facing triage and the operator-facing tone guard must agree on what counts as
abusive, so the rules live here once: whole normalised tokens only (``asu`` never fires inside
``asuransi``), animal words excused beside a literal word (``peternakan babi``), words for dung
excused when they name real dung (``tahi kucing di taman``), everyday words (``sampah``,
``gila``) abusive only when aimed at someone (``dasar sampah``, ``kalian gila``). Aiming beats
a literal cue: ``dasar tahi kucing`` is an insult. Affixed forms of an always-abusive root
(``ketololan``, ``didungukan``, ``tolol-tololin``) count as the root.
"""

from __future__ import annotations

from functools import cache, lru_cache
from itertools import compress, count
from typing import NamedTuple

from . import lexicon
from .normalize import (
    BASE,
    EMOJI,
    HASHTAG,
    KIND,
    MENTION,
    NORM,
    NUMBER,
    PUNCT,
    WORD,
    Token,
    _chunk_tokens,
    normalize,
)

# Words that show an animal word is meant literally (a pig farm, a stray dog).
LITERAL_CUES = frozenset(
    "ternak peternakan beternak peternak kandang daging ekor liar peliharaan pelihara memelihara "
    "dipelihara rabies gigit digigit gigitan menggigit kotoran hewan binatang potong pemotongan "
    "rph jual dijual penjual pasar hutan virus flu demam vaksin vaksinasi bangkai berkeliaran "
    "kebun sapi kambing ayam kucing limbah ular sate galak menyerang usaha ekornya "
    # Added from the train side of id_multilabel_hs: animals seen, shown, rescued or kept.
    "topeng shio suara satwa primata kawanan pemukiman evakuasi tangkap ditangkap menangkap "
    "selamatkan diselamatkan ras jinak pelacak ekor bulu burung kuda".split()
)
# Words that show a word for dung names real dung lying somewhere or being dealt with ("tahi
# kucing di taman", "selokan penuh tahi"). An animal alone is not enough: "tai kucing!" is an
# expletive, and on the train side of id_multilabel_hs it is labelled abusive.
DUNG_CUES = frozenset(
    "taman trotoar halaman teras lantai selokan got saluran sungai kali wc toilet kloset "
    "septic septik septitank popok kandang injak menginjak nginjak terinjak diinjak "
    "berserakan berceceran buang membuang dibuang bersihkan membersihkan dibersihkan kubur "
    "mengubur dikubur sekop pupuk".split()
)
# Owned animals are animals: "anjing saya", "babi tetangga".
OWNERS = frozenset("saya kami kita tetangga warga peliharaan milik punya".split())
_PREFIXES = ("menge", "meng", "mem", "men", "me", "nge", "ng", "di", "ke", "ter", "se", "ber",
             "peng", "pen", "pe")
_SUFFIXES = ("nya", "kan", "in", "an", "i", "lah")
# Words that aim an everyday word at someone: "dasar sampah", "kayak monyet", "otak udang".
AIMING_BEFORE = frozenset(
    "dasar kayak kaya kek seperti bagai bagaikan macam mirip otak mulut muka "
    "kamu kau engkau kalian anda dia mereka situ ente".split()
)
# Fillers that may stand between the aiming word and the insult: "kalian memang sudah gila".
AIMING_FILLERS = frozenset("memang emang itu ini sudah benar-benar sungguh sangat si pada".split())
# Rude second-person forms written after the insult: "gila lu", "sampah kau".
RUDE_AFTER = frozenset("lu lo elu elo loe luh lw kau kalian kamu ente".split())
KASAR_EMOJI = frozenset("\U0001f595")  # middle finger


class Hit(NamedTuple):
    """A phrase found at tokens ``[first, last]`` (inclusive). A named tuple: as immutable as
    a frozen dataclass and several times cheaper to make, and the rules make one per cue."""

    label: str
    phrase: str
    weight: float
    first: int
    last: int

    def span(self, tokens: list[Token]) -> tuple[int, int]:
        return tokens[self.first].start, tokens[self.last].end


# First word → (phrases of two words or more by length, longest first: [(length, {phrase:
# [(label, weight, phrase joined by spaces)]})], the one-word phrase's [(label, weight, word)]
# or None).
PhraseIndex = dict[str, tuple[list[tuple[int, dict[tuple[str, ...], list[tuple[str, float, str]]]]],
                              list[tuple[str, float, str]] | None]]


def build_index(rows: list[tuple[str, tuple[str, ...], float]]) -> PhraseIndex:
    """First word → candidate phrases by length, longest first so that the longest match
    wins; at one position at most one phrase of each length can match, so each length is
    one dictionary lookup, and a one-word phrase none at all (its first word is the key)."""
    by_length: dict[str, dict[int, dict]] = {}
    for label, phrase, weight in rows:
        table = by_length.setdefault(phrase[0], {}).setdefault(len(phrase), {})
        labels = table.setdefault(phrase, [])
        if not any(known == label for known, _w, _p in labels):
            labels.append((label, weight, " ".join(phrase)))
    return {first: (sorted(((size, table) for size, table in tables.items() if size > 1),
                           key=lambda item: -item[0]),
                    tables[1][(first,)] if 1 in tables else None)
            for first, tables in by_length.items()}


@cache
def phrase_index(name: str) -> PhraseIndex:
    return build_index(normalized_rows(lexicon.weighted_phrases(name)))


def normalized_rows(rows):
    """Lexicon rows with each phrase passed through the normaliser, so a phrase always matches
    the text it was written for (``mohon info`` and the citizen's ``mhn info`` both become
    ``mohon informasi``)."""
    result = []
    for label, phrase, weight in rows:
        words = tuple(t.norm for t in normalize(" ".join(phrase)) if t.kind != PUNCT)
        if words:
            result.append((label, words, weight))
    return result


def _find_phrases(words: list[str], index: PhraseIndex) -> list[Hit]:
    """Greedy longest matches of ``index`` phrases in ``words``; a matched word is not reused.

    Every label a phrase carries is reported (``trotoar`` hints at two topics). The fallback
    of ``_fast.find_phrases``, the same function compiled (``find_phrases`` is whichever
    was built).
    """
    hits: list[Hit] = []
    append, new = hits.append, tuple.__new__
    free = 0  # the first word not yet inside a match
    # Only positions whose word starts some phrase can match: find them in one C-level pass.
    for i in compress(count(), map(index.__contains__, words)):
        if i < free:
            continue
        longer, single = index[words[i]]
        for size, table in longer:
            labels = table.get(tuple(words[i : i + size]))
            if labels:
                last = i + size - 1
                for label, weight, joined in labels:
                    append(new(Hit, (label, joined, weight, i, last)))
                free = i + size
                break
        else:
            if single:  # most phrases are one word, and the word is the key: no lookup
                for label, weight, joined in single:
                    append(new(Hit, (label, joined, weight, i, i)))
                free = i + 1
    return hits


try:
    from ._fast import find_phrases
except ImportError:  # built without a C compiler
    find_phrases = _find_phrases


@cache
def _kasar_index() -> PhraseIndex:
    raw = lexicon.kasar_terms()
    terms = [(kind, term, 1.0) for term, kind in raw.items()]
    # Phrases are also indexed in their normalised form ("ga punya otak" → "tidak punya otak").
    # Single words are not: slang tables send some of them onto innocent words (tll →
    # terlalu), and a single word is already caught on its repaired spelling.
    phrases = [row for row in normalized_rows([t for t in terms if len(t[1]) > 1])
               if row[1] not in raw]
    return build_index(terms + phrases)


def find_kasar(tokens: list[Token]) -> list[Hit]:
    """Abusive or degrading terms in ``tokens``, after the literal-use and aiming rules.

    A term is looked up on the formal words and, failing that, on the repaired spelling,
    because a slang table may turn a swear word into an innocent one.
    """
    words = list(map(NORM, tokens))
    bases = list(map(BASE, tokens))
    found = find_phrases(words, _kasar_index())
    hits = [h for h in found if _is_abusive(h, words, bases, tokens)]
    # A `bukan` phrase settles its words: "bodo amat" (never mind) must not be caught again on
    # the spelling "bodo". Other misses stay open, since a spelling can be ruder than its
    # formal word (anjir → anjing, excused beside a literal word; anjir itself never is).
    seen = {i for hit in found if hit in hits or hit.label == "bukan"
            for i in range(hit.first, hit.last + 1)}
    single_terms = _kasar_words()
    # Only a token whose spelling could be abusive on its own needs the checks below.
    for i in compress(count(), map(_suspicious, bases)):
        if i in seen:
            continue
        token = tokens[i]
        if token.kind == EMOJI and token.text in KASAR_EMOJI:
            hits.append(Hit("kasar", token.text, 1.0, i, i))
        elif token.base != token.norm and token.base in single_terms:
            hit = Hit(single_terms[token.base], token.base, 1.0, i, i)
            if _is_abusive(hit, words, bases, tokens):
                hits.append(hit)
        elif token.kind == WORD and len(token.base) > 5 and (root := affixed_root(token.base)):
            hits.append(Hit("kasar", root, 1.0, i, i))
    # A slang expansion (jablay → jarang dibelai) gives several tokens one span: report it once.
    unique = {tokens[hit.first].start: hit for hit in sorted(hits, key=lambda h: -h.first)}
    return sorted(unique.values(), key=lambda hit: hit.first)


def may_be_kasar(chunks: list[str], tokens: list[Token]) -> bool:
    """Whether ``find_kasar`` can find anything in ``tokens``, the tokens of ``chunks``
    (``normalize.split_chunks``): a word or spelling that is abusive unless excused, an
    everyday word (``sebutan``: ``sampah``, ``busuk``) where a word could aim it at someone,
    or the first two words of a kasar phrase side by side. One cached answer per chunk, and
    a pass over the word pairs only where a chunk holds a phrase's first word: most messages
    name rubbish, houses or children ("tidak", "rumah" and "anak" start kasar phrases) and
    need no detector at all."""
    cues = 0
    for found in map(_chunk_kasar_cues, chunks):
        cues |= found
    if cues & _ABUSIVE or cues & _AIMABLE and cues & _AIMING:
        return True
    if not cues & _PHRASE_START:
        return False
    words = list(map(NORM, tokens))
    return not _kasar_pairs().isdisjoint(zip(words, words[1:], strict=False))


# What a chunk holds, for ``may_be_kasar``: bits of ``_chunk_kasar_cues``.
_ABUSIVE, _AIMABLE, _AIMING, _PHRASE_START = 1, 2, 4, 8


@lru_cache(maxsize=1 << 16)
def _chunk_kasar_cues(chunk: str) -> int:
    """The ``may_be_kasar`` bits of a chunk's tokens, each as ``find_kasar`` would judge it:
    a one-word kasar phrase on its formal word, a kasar term on its spelling, an affixed
    form, a kasar emoji (``_ABUSIVE``, or ``_AIMABLE`` for a ``sebutan``, which only aiming
    makes abusive); a word that can aim (``_AIMING``); the first word of a longer phrase
    (``_PHRASE_START``)."""
    by_norm, by_spelling = _kasar_cue_bits()
    return kasar_cues(_chunk_tokens(chunk), by_norm, by_spelling)


def _kasar_cues(tokens: tuple[Token, ...], by_norm: dict[str, int],
                by_spelling: dict[str, int]) -> int:
    """``_chunk_kasar_cues`` of a chunk's tokens, given ``_kasar_cue_bits``. The fallback of
    ``_fast.kasar_cues``, the same function compiled."""
    cues = 0
    for text, base, norm, _start, _end, kind in tokens:
        cues |= by_norm.get(norm, 0)
        if base in RUDE_AFTER:
            cues |= _AIMING
        if base != norm and base in by_spelling:
            cues |= by_spelling[base]
        elif kind == WORD and len(base) > 5 and affixed_root(base):
            cues |= _ABUSIVE
        elif kind == EMOJI and text in KASAR_EMOJI:
            cues |= _ABUSIVE
    return cues


try:
    from ._fast import kasar_cues
except ImportError:  # built without a C compiler
    kasar_cues = _kasar_cues


@cache
def _kasar_cue_bits() -> tuple[dict[str, int], dict[str, int]]:
    """``_chunk_kasar_cues``' bits of a formal word, and of a spelling that differs from it."""

    def bits(classes: set[str]) -> int:
        classes = classes - {"bukan"}
        return (_AIMABLE if "sebutan" in classes else 0) | (
            _ABUSIVE if classes - {"sebutan"} else 0)

    by_norm: dict[str, int] = dict.fromkeys(AIMING_BEFORE, _AIMING)
    for word, (longer, single) in _kasar_index().items():
        found = bits({label for label, _weight, _phrase in single or ()})
        by_norm[word] = by_norm.get(word, 0) | found | (_PHRASE_START if longer else 0)
    by_spelling = {word: bits({kind}) for word, kind in _kasar_words().items()}
    return by_norm, by_spelling


@cache
def _kasar_pairs() -> frozenset[tuple[str, str]]:
    """The first two words of every kasar phrase of two words or more."""
    return frozenset(phrase[:2] for longer, _single in _kasar_index().values()
                     for _size, table in longer for phrase in table)


@lru_cache(maxsize=1 << 16)
def _suspicious(base: str) -> bool:
    """Whether a token so spelled can be abusive alone: an emoji of ``KASAR_EMOJI``, a single
    kasar term or an affixed form of one (what ``find_kasar`` checks token by token)."""
    return (base in KASAR_EMOJI or base in _kasar_words()
            or (len(base) > 5 and affixed_root(base) is not None))


@cache
def _kasar_words() -> dict[str, str]:
    return {term[0]: kind for term, kind in lexicon.kasar_terms().items() if len(term) == 1}


def _is_abusive(hit: Hit, words: list[str], bases: list[str], tokens: list[Token]) -> bool:
    if hit.label == "bukan":
        return False
    if hit.label == "kasar":
        return True
    if hit.label == "sebutan":
        return _is_aimed(hit, words, bases)
    if _is_aimed(hit, words, bases):
        return True
    if _is_named_thing(hit, words, tokens):
        return False
    window = words[max(0, hit.first - 4) : hit.last + 5]
    # The animal in "tai anjing" is judged with its dung: literal on a pavement, not as a curse.
    after_dung = hit.first > 0 and _kasar_words().get(bases[hit.first - 1]) == "kotoran"
    cues = DUNG_CUES if hit.label == "kotoran" or after_dung else LITERAL_CUES
    if any(word in cues for word in window):
        return False
    # "anjing saya", "babi tetangga": an owned animal is an animal.
    return not (hit.label == "hewan" and hit.last + 1 < len(words)
                and words[hit.last + 1] in OWNERS)


def _is_named_thing(hit: Hit, words: list[str], tokens: list[Token]) -> bool:
    # "Jalan Monyet", "Gang Buaya": a place name, not an insult.
    if hit.first > 0 and words[hit.first - 1] in ("jalan", "gang", "kampung", "desa", "dusun"):
        return True
    # "Kim Tae Song", "Tai Chi": a dung word in Title Case beside another Title Case word is
    # part of a name. Not for animal words: slurs are often written "Babi Ahok" (train side).
    text = tokens[hit.first].text
    if hit.label != "kotoran" or not (text[:1].isupper() and text[1:].islower()):
        return False
    neighbours = tokens[max(0, hit.first - 1) : hit.first] + tokens[hit.last + 1 : hit.last + 2]
    return any(t.kind == WORD and t.text[:1].isupper() and t.text[1:].islower()
               and t.start > 0 for t in neighbours)


def _affixed_root(word: str) -> str | None:
    """The always-abusive root of an affixed form (``ketololan`` → ``tolol``), if any
    (``affixed_root``, cached, is what callers use).

    Only roots of the ``kasar`` class of four letters or more, so that ``petai`` (tai) and
    ``pecok`` (cok) stay innocent; words the lexicon lists as ``bukan`` (``sarapan``) too.
    The fallback of ``_fast.affixed_root``, the same function compiled.
    """
    terms = _kasar_words()
    if word in terms or word in lexicon.kasar_exceptions():
        return None
    for clitic in ("nya", "mu", "ku"):
        if word.endswith(clitic) and len(word) - len(clitic) > 5:
            word = word[: -len(clitic)]  # kebiadabannya → kebiadaban
            break
    head, dash, tail = word.partition("-")
    if dash and head in _PREFIXES:
        word = head + tail  # meng-kacungkan
    # Every root found below starts the word after a prefix: most words fail on a prefix and
    # a root's first four letters, without the prefix × suffix walk. One slice per length of
    # prefix, looked up among every prefix + four letters, in one C-level pass.
    if _root_starts().isdisjoint(map(word.__getitem__, _START_SLICES)):
        return None
    for prefix in _PREFIXES_AND_NONE:
        if not word.startswith(prefix):
            continue
        rest = word[len(prefix):]
        for suffix in ("", *_SUFFIXES):
            if not (prefix or suffix) or not rest.endswith(suffix):
                continue
            root = rest[: len(rest) - len(suffix)]
            head, dash, tail = root.partition("-")
            if dash and tail.startswith(head):
                root = head  # tolol-tololin, dibego-begoin
            if len(root) >= 4 and terms.get(root) == "kasar":
                return root
    return None


_PREFIXES_AND_NONE = ("", *_PREFIXES)
_START_SLICES = tuple(slice(0, size + 4) for size in sorted({len(p) for p in _PREFIXES_AND_NONE}))

try:
    from ._fast import affixed_root as _affixed_root_compiled
except ImportError:  # built without a C compiler
    _affixed_root_compiled = _affixed_root
affixed_root = cache(_affixed_root_compiled)


@cache
def _root_starts() -> frozenset[str]:
    """A prefix (or none) and the first four letters of a root ``affixed_root`` can return:
    what a word it finds a root in starts with."""
    heads = {term[:4] for term, kind in _kasar_words().items()
             if kind == "kasar" and len(term) >= 4}
    return frozenset(prefix + head for prefix in _PREFIXES_AND_NONE for head in heads)


def _is_aimed(hit: Hit, words: list[str], bases: list[str]) -> bool:
    j = hit.first - 1
    while j >= 0 and words[j] in AIMING_FILLERS:
        j -= 1
    if j >= 0 and words[j] in AIMING_BEFORE:
        return True
    after = hit.last + 1
    return after < len(words) and bases[after] in RUDE_AFTER


def content_words(tokens: list[Token]) -> list[str]:
    """Normalised words for features and phrase matching: punctuation and links dropped."""
    # C-level passes (map, compress): a comprehension costs a dozen bytecodes per token.
    return list(compress(map(NORM, tokens), map(_CONTENT_KINDS.__contains__, map(KIND, tokens))))


_CONTENT_KINDS = frozenset({WORD, NUMBER, MENTION, HASHTAG, EMOJI})  # all but PUNCT and URL
