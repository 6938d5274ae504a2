"""Tokenise informal Indonesian and normalise each token, keeping its span in the original.

``normalize("Jalan rusak parahhh min!!!")`` gives one ``Token`` per normalised word with
``start``/``end`` offsets into the input, so that later findings can be highlighted exactly where
the citizen or operator wrote them. Repairs, in order: case, reduplication written with a 2
(``lampu2``), leetspeak (``g0bl0k``), censoring stars (``b*ngsat``), elongation (``parahhh``),
clitics (``lampunya``), then slang → formal (``gak`` → ``tidak``). URLs, mentions, hashtags,
emoji and punctuation runs become tokens of their own kind.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import NamedTuple

from . import lexicon

# Kinds of token.
WORD = "word"
NUMBER = "number"
URL = "url"
MENTION = "mention"
HASHTAG = "hashtag"
EMOJI = "emoji"
PUNCT = "punct"

# A token's fields by position, for C-level passes over many tokens (map(NORM, tokens)).
BASE, NORM, KIND = itemgetter(1), itemgetter(2), itemgetter(5)

_EMOJI_CHARS = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff"
_TOKEN_RE = re.compile(
    rf"""
    (?P<url>(?:https?://|www\.)\S+|\b[\w.-]+\.(?:com|id|net|org|ly|me|io)(?:/\S*)?)
  | (?P<mention>@\w+)
  | (?P<hashtag>\#\w+)
  | (?P<spaced>(?<![^\W_])(?:[^\W_][ .*_-]{{1,2}}){{2,}}[^\W_](?![^\W_]))
  | (?P<word>[^\W_](?:[^\W_]|(?<=[^\W_])[@$*](?=[^\W_*])|(?<=[a-z])!(?=[a-z])|\*(?=[^\W_])
       |['’-](?=[^\W_]))*\**)
  | (?P<emoji>[{_EMOJI_CHARS}](?:[\U0001f3fb-\U0001f3ff\ufe0f]|\u200d[{_EMOJI_CHARS}])*
       |[:;]-?[()DPp](?![\w]))
  | (?P<punct>[!?]{{2,}}|([^\w\s])\2*)
    """,
    re.VERBOSE,
)
_SINGLE_RE = re.compile(r"(?P<word>[^\W_])|(?P<punct>[^\w\s])")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "!": "i", "9": "g", "8": "b"})
_RUN3 = re.compile(r"([a-z])\1{2,}")
_RUN2 = re.compile(r"([a-z])\1+")
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_CLITICS = ("nya", "lah", "kah", "pun", "ku", "mu")
_SPACER = re.compile(r"[ .*_-]")
# One letter, then more letters each after the same separator as the first ("g.o.b", "a n j").
_SEPARATOR_RUN = re.compile(r"[^\W_](?:([ .*_-]{1,2})[^\W_](?:\1[^\W_])*)?")


class Token(NamedTuple):
    """One normalised word (or URL, emoji, punctuation run) and where it stood.

    ``text`` is the original spelling (``text == source[start:end]``); ``base`` is the repaired
    spelling before slang replacement (``g0bl0kkk`` → ``goblok``, ``lu`` stays ``lu``), which the
    tone guard needs to see rude pronouns; ``norm`` is the formal word (``lu`` → ``kamu``).
    A slang word that expands to several words (``makasih`` → ``terima kasih``) yields several
    tokens with the same span. A named tuple rather than a frozen dataclass: it is as immutable
    and three times cheaper to build, and classify builds one per word of every message.
    """

    text: str
    base: str
    norm: str
    start: int
    end: int
    kind: str

    def as_dict(self) -> dict:
        return {"text": self.text, "base": self.base, "norm": self.norm,
                "start": self.start, "end": self.end, "kind": self.kind}


def normalize(text: str) -> list[Token]:
    """Split ``text`` into normalised tokens with character spans into ``text``."""
    tokens: list[Token] = []
    if _SPACED_ACROSS.search(text):
        _tokenize(text, 0, len(text), tokens)
        return tokens
    # No token but a spelled-out run crosses a space, and the patterns' look-arounds treat a
    # chunk's edge as they treat the space beside it: so each chunk between spaces tokenises
    # alone, once (cached), and its tokens are moved to where it stands. Citizens repeat
    # their words; this skips the big pattern for all but the new ones.
    extend, new = tokens.extend, tuple.__new__
    for match in _CHUNK.finditer(text):
        offset = match.start()
        extend([new(Token, (surface, base, norm, start + offset, end + offset, kind))
                for surface, base, norm, start, end, kind in _chunk_tokens(match.group())])
    return tokens


def split_chunks(text: str) -> list[str] | None:
    """The space-separated chunks that ``normalize`` tokenises one at a time, or None when a
    spelled-out run crosses a space and the text is tokenised whole. (``str.split`` and
    ``\\S+`` agree on what is a space.)"""
    return None if _SPACED_ACROSS.search(text) else text.split()


def chunk_tokens(chunks: list[str]) -> list[Token]:
    """``normalize``'s tokens of ``split_chunks``' chunks, with offsets into each token's own
    chunk rather than into the text: for readers that need no spans (classifying), it skips
    rebuilding every token with its offsets moved, which was most of ``normalize``'s cost on
    words seen before."""
    return list(chain.from_iterable(map(_chunk_tokens, chunks)))


_CHUNK = re.compile(r"\S+")
# Two single letters with a separator holding a space between them: what every spelled-out
# run that crosses a space ("a n j i n g", "g. o. b") contains. Written to start at the space
# (the letter before it is checked looking back), so that the search jumps from space to
# space instead of trying every letter of the text: the same matches, several times faster.
_SPACED_ACROSS = re.compile(r" (?:(?<=(?<![^\W_])[^\W_] )[ .*_-]?|(?<=(?<![^\W_])[^\W_][.*_-] ))"
                            r"[^\W_](?![^\W_])")


@lru_cache(maxsize=1 << 16)
def _chunk_tokens(chunk: str) -> tuple[Token, ...]:
    plain = plain_chunk_tokens(chunk)
    if plain is not None:
        return plain
    tokens: list[Token] = []
    _tokenize(chunk, 0, len(chunk), tokens)
    return tuple(tokens)


def _plain_chunk_tokens(chunk: str) -> tuple[Token, ...] | None:
    """The tokens of a chunk that is a word, or words joined by hyphens, perhaps followed by
    one of ",.!?" or a run of "!?"; None for any other chunk (the token pattern reads it).

    Nineteen new chunks in twenty are such, what the big pattern makes of them is known
    without it (a word, then one punctuation token), and the pattern was most of a new
    chunk's cost. (Letters and digits only around the hyphens, the first part two or more
    long: no URL, mention, hashtag, emoji or spelled-out run can match. The pattern makes a
    run of any other mark, ",,", a token per mark: its backreference names an unset group.)
    The fallback of ``_fast.plain_chunk_tokens``, the same function compiled.
    """
    head = chunk.rstrip(",.!?")
    if not head or not (head.isalnum() or "-" in head and _hyphenated(head)):
        return None
    end = len(head)
    tail = chunk[end:]
    if len(tail) > 1 and tail.strip("!?"):
        return None
    if head.isdigit():
        tokens = [Token(head, head, head, 0, end, NUMBER)]
    else:
        base, norms = repair_word(head)
        tokens = [tuple.__new__(Token, (head, base, norm, 0, end, WORD)) for norm in norms]
    if tail:
        tokens.append(Token(tail, tail[0], tail[0], end, len(chunk), PUNCT))
    return tuple(tokens)


def _hyphenated(word: str) -> bool:
    """Whether ``word`` is parts of letters and digits joined by single hyphens, the first
    part two or more long (a single letter before a hyphen may start a spelled-out run)."""
    parts = word.split("-")
    return len(parts[0]) > 1 and all(map(str.isalnum, parts))


def _tokenize(text: str, pos: int, endpos: int, tokens: list[Token]) -> None:
    append = tokens.append
    # Words are most tokens of every message: build them with tuple.__new__, which skips the
    # named tuple's Python-level __new__ (the same object, made cheaper on the hot path).
    new, repair = tuple.__new__, repair_word
    for match in _TOKEN_RE.finditer(text, pos, endpos):
        kind = match.lastgroup
        surface = match.group()
        start, end = match.span()
        if kind == "word":
            if surface.isdigit():
                append(Token(surface, surface, surface, start, end, NUMBER))
                continue
            base, norms = repair(surface)
            for norm in norms:
                append(new(Token, (surface, base, norm, start, end, WORD)))
        elif kind == "spaced":
            _spaced(text, start, end, tokens)
        elif kind == "punct":
            # A run such as "!!!" keeps its surface for the shouting rule; its norm is one mark.
            append(Token(surface, surface[0], surface[0], start, end, PUNCT))
        elif kind == "hashtag":
            for word in _CAMEL.findall(surface[1:]) or [surface[1:]]:
                base, norms = repair_word(word)
                for norm in norms:
                    append(Token(surface, base, norm, start, end, HASHTAG))
        elif kind == "url":
            append(Token(surface, "<url>", "<url>", start, end, URL))
        elif kind == "mention":
            append(Token(surface, "<mention>", "<mention>", start, end, MENTION))
        else:
            append(Token(surface, surface, surface, start, end, EMOJI))


def _spaced(text: str, start: int, end: int, tokens: list[Token]) -> None:
    """Letters spelled out one by one ("a n j i n g", "g.o.b.l.o.k") hide a word from a filter.

    The run becomes one token only when its letters repair to a word the engine knows, so
    "Blok C 2 A" stays four tokens; a run that is no word is split where the separator changes
    ("g.o.b.l.o.k t-o-l-o-l" is two words) and each part is tried the same way.
    """
    surface = text[start:end]
    base, norms = repair_word(_SPACER.sub("", surface))
    if base in lexicon.vocabulary():
        for norm in norms:
            tokens.append(Token(surface, base, norm, start, end, WORD))
        return
    parts = [m.span() for m in _SEPARATOR_RUN.finditer(text, start, end)]
    if len(parts) == 1:
        _tokenize_plain(text, start, end, tokens)
        return
    for part_start, part_end in parts:
        part = text[part_start:part_end]
        if _SPACER.search(part):
            _spaced(text, part_start, part_end, tokens)
        else:
            _tokenize_plain(text, part_start, part_end, tokens)


def _tokenize_plain(text: str, pos: int, endpos: int, tokens: list[Token]) -> None:
    """Tokens of ``text[pos:endpos]`` one letter at a time (a spaced run that is no word)."""
    for match in _SINGLE_RE.finditer(text, pos, endpos):
        surface = match.group()
        start, end = match.span()
        if match.lastgroup == "punct":
            tokens.append(Token(surface, surface[0], surface[0], start, end, PUNCT))
        elif surface.isdigit():
            tokens.append(Token(surface, surface, surface, start, end, NUMBER))
        else:
            base, norms = repair_word(surface)
            for norm in norms:
                tokens.append(Token(surface, base, norm, start, end, WORD))


def _repair_word(surface: str) -> tuple[str, tuple[str, ...]]:
    """``(base, norms)`` for one word as written (``repair_word``, cached, is what callers
    use). The fallback of ``_fast.repair_word``, the same function compiled."""
    tables = lexicon.slang()
    exact = tables.exact.get(surface)
    if exact is not None:
        return surface.lower(), tuple(exact.split())
    base = _repair_spelling(surface.lower().replace("’", "'"))
    formal = tables.lower.get(base)
    if formal is None and "-" in base:
        head, _, tail = base.partition("-")
        if head == tail:
            # Reduplication marks a plural (lampu-lampu); the single word is what the topic
            # lexicon and the model know.
            formal = tables.lower.get(head, head)
    return base, tuple((formal or base).split())


try:
    from ._fast import plain_chunk_tokens
    from ._fast import repair_word as _repair_word_compiled
except ImportError:  # built without a C compiler
    plain_chunk_tokens, _repair_word_compiled = _plain_chunk_tokens, _repair_word
# ``(base, norms)`` for one word as written; cached because citizens repeat themselves.
repair_word = lru_cache(maxsize=65536)(_repair_word_compiled)


def _repair_spelling(word: str) -> str:
    known = lexicon.vocabulary()
    if word in known:
        return word
    if len(word) > 2 and word.endswith("2") and word[:-1].isalpha():
        word = f"{word[:-1]}-{word[:-1]}"
        return word
    if "*" in word:
        return _uncensor(word)
    if not word.isalpha() and any(c.isalpha() for c in word):
        leet = word.translate(_LEET)
        if leet.replace("-", "").replace("'", "").isalpha():
            repaired = _deelongate(leet, known)
            if repaired in known or leet in known:
                return repaired if repaired in known else leet
    word = _deelongate(word, known)
    if word in known:
        return word
    for clitic in _CLITICS:
        stem = word[: -len(clitic)]
        if word.endswith(clitic) and len(stem) >= 3 and stem in known:
            return stem
    return word


def _deelongate(word: str, known: frozenset[str]) -> str:
    """``parahhh`` → ``parah``, ``maaaaf`` → ``maaf``: prefer whichever collapse is a real word."""
    tail_doubled = len(word) > 3 and word[-1] == word[-2]
    if not tail_doubled and not _RUN3.search(word):
        return word
    to_one = _RUN3.sub(r"\1", word)
    to_two = _RUN3.sub(r"\1\1", word)
    # A doubled last letter is nearly always an elongation (parahh): Indonesian words end singly.
    untailed = to_one.rstrip(to_one[-1]) + to_one[-1]
    for candidate in (to_one, to_two, untailed, _RUN2.sub(r"\1", word)):
        if candidate in known:
            return candidate
    return untailed


def _uncensor(word: str) -> str:
    """``b*ngsat`` → ``bangsat`` when exactly one kasar word fits the stars."""
    pattern = re.compile("^" + re.escape(word).replace(r"\*", "[a-z]+?") + "$")
    fits = {term[0] for term in lexicon.kasar_terms() if len(term) == 1 and pattern.match(term[0])}
    return fits.pop() if len(fits) == 1 else word.replace("*", "")


def norms(tokens: list[Token]) -> list[str]:
    """The normalised words of ``tokens`` in order (punctuation and emoji included)."""
    return [token.norm for token in tokens]
