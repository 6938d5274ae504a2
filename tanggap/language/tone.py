"""Tone guard for operator replies: every reply speaks for the city, so none may be rude.

``check_tone`` returns a verdict (``ok``, ``warn``, ``block``), findings with character spans
for highlighting, and a suggested text when the fix is mechanical (sentence case for shouting,
``Bapak/Ibu`` for ``lu``). Blocks: shouting (an ALL CAPS sentence, ``!!``), abusive words in any
disguise, insults aimed at the citizen. Warnings: rude pronouns, dismissive or blaming phrases,
sarcasm, impatience. Info: no greeting, thanks or apology in a reply to a complaint.

It must never block an ordinary polite reply: an abusive word the operator quotes back from
the citizen ("kami mohon maaf jika pelayanan kami dianggap 'bodoh'") is info, not a block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .lexicon import vocabulary
from .matching import Hit, find_kasar, find_phrases, phrase_index
from .normalize import EMOJI, PUNCT, URL, WORD, Token, normalize

BLOCK, WARN, INFO = "block", "warn", "info"
_RANK = {BLOCK: 3, WARN: 2, INFO: 1}

MESSAGES = {
    "huruf_kapital": "Kalimat ditulis dengan huruf kapital semua; terkesan membentak. "
                     "Gunakan huruf kapital hanya di awal kalimat.",
    "penekanan_kapital": "Kata ditulis kapital semua untuk penekanan; terkesan tidak sabar.",
    "tanda_seru": "Tanda seru berulang terkesan membentak. Gunakan satu titik.",
    "kata_kasar": "Kata kasar atau merendahkan. Balasan resmi tidak boleh memuatnya.",
    "hinaan": "Ungkapan yang merendahkan warga. Hapus dan sampaikan dengan santun.",
    "sapaan_kasar": "Sapaan tidak sopan untuk warga. Gunakan Bapak/Ibu atau Anda.",
    "meremehkan": "Ungkapan meremehkan atau menyalahkan warga. Jelaskan langkah yang bisa "
                  "diambil.",
    "sindiran": "Penanda sindiran atau candaan; bisa dibaca sebagai mengejek warga.",
    "tidak_sabar": "Ungkapan tidak sabar. Sampaikan dengan tenang.",
    "kutipan": "Kata kasar dikutip dari pesan warga; pastikan memang perlu dikutip.",
    "tanpa_salam": "Balasan untuk aduan sebaiknya memuat salam, terima kasih, atau permohonan "
                   "maaf.",
}
_PHRASE_SEVERITY = {"hinaan": BLOCK, "meremehkan": WARN, "sindiran": WARN, "tidak_sabar": WARN}

# Rude pronouns and their polite replacement in a reply from the city.
RUDE_PRONOUNS = {
    "lo": "Bapak/Ibu", "lu": "Bapak/Ibu", "elu": "Bapak/Ibu", "elo": "Bapak/Ibu",
    "loe": "Bapak/Ibu", "lw": "Bapak/Ibu", "kau": "Bapak/Ibu", "gue": "kami", "gua": "kami",
    "gw": "kami",
}
# Capitalised abbreviations that are not shouting.
ACRONYMS = frozenset(
    "pdam pln pju pjut ktp kk nik rt rw bpjs kis kip blt pkh dlh pupr bpbd dinsos dinkes disdik "
    "disnaker dishub damkar dukcapil umk ump thr phk imb pbg bpn pbb tps tpa rsud igd dbd sd smp "
    "sma smk paud tk ppdb odgj pkl sktm dtks bpnt rth wa sms ok uptd upt opd asn pns tni polri "
    "satpol pp kia kua bumn bumd el jl no hp wib wita wit dki ri nkri covid pemkot pemkab dprd "
    "lpju sop sk nip npwp atm qr id url faq pdf cs".split()
)
# Verbs that report what the citizen said, so an abusive word after them is a quotation.
_REPORTING = frozenset(
    "menyebut disebut dianggap menganggap merasa mengatakan dikatakan kata istilah ucapan "
    "sebutan dibilang bilang menilai dinilai".split()
)
_QUOTED = re.compile(
    r"\"[^\"\n]{1,120}\"|“[^”\n]{1,120}”|'[^'\n]{1,120}'|‘[^’\n]{1,120}’|«[^»]{1,120}»"
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_CAPS_WORD = re.compile(r"\b[A-Z][A-Z'-]*[A-Z]\b")
_LETTER_WORD = re.compile(r"\b[^\W\d_]{2,}\b")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a reply: ``text[start:end]`` is what to highlight."""

    code: str
    message: str
    severity: str
    start: int
    end: int

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "severity": self.severity,
                "start": self.start, "end": self.end}


@dataclass(frozen=True, slots=True)
class ToneResult:
    """Verdict, findings in text order, and a mechanically fixed text (or ``None``)."""

    verdict: str
    findings: list[Finding] = field(default_factory=list)
    suggestion: str | None = None

    def as_dict(self) -> dict:
        return {"verdict": self.verdict, "findings": [f.as_dict() for f in self.findings],
                "suggestion": self.suggestion}


def check_tone(text: str, *, inbound_kind: str | None = None) -> ToneResult:
    """Check a reply before it is sent.

    ``inbound_kind`` is the intent of the message being answered (e.g. ``"aduan"``); a reply to
    a complaint without any greeting, thanks or apology gets an info finding.
    """
    tokens = normalize(text)
    findings: list[Finding] = []
    fixes: list[tuple[int, int, str]] = []

    _shouting(text, findings, fixes)
    _punctuation(tokens, findings, fixes)
    _abuse(text, tokens, findings)
    _pronouns(tokens, findings, fixes)
    polite = _phrases(tokens, findings)
    if inbound_kind == "aduan" and not polite:
        findings.append(_finding("tanpa_salam", INFO, 0, len(text)))

    findings.sort(key=lambda f: (f.start, -_RANK[f.severity], f.code))
    worst = max((_RANK[f.severity] for f in findings), default=0)
    verdict = BLOCK if worst == 3 else WARN if worst == 2 else "ok"
    return ToneResult(verdict=verdict, findings=findings, suggestion=_apply(text, fixes))


def _finding(code: str, severity: str, start: int, end: int) -> Finding:
    return Finding(code, MESSAGES[code], severity, start, end)


def _shouting(text: str, findings: list[Finding], fixes: list[tuple[int, int, str]]) -> None:
    for sentence in _SENTENCE.finditer(text):
        body = sentence.group()
        words = [w for w in _LETTER_WORD.findall(body) if w.lower() not in ACRONYMS]
        caps = [m for m in _CAPS_WORD.finditer(body) if m.group().lower() not in ACRONYMS]
        if len(caps) >= 2 and len(caps) >= 0.6 * len(words):
            start, end = _strip_span(text, *sentence.span())
            findings.append(_finding("huruf_kapital", BLOCK, start, end))
            fixes.append((start, end, _sentence_case(text[start:end])))
        else:
            for match in caps:
                # One capitalised word is emphasis only if it is a real word (SUDAH); an
                # unknown one is far more often an abbreviation we have not listed (CPNS).
                if len(match.group()) >= 4 and match.group().lower() in vocabulary():
                    start, end = sentence.start() + match.start(), sentence.start() + match.end()
                    findings.append(_finding("penekanan_kapital", WARN, start, end))
                    fixes.append((start, end, match.group().lower()))


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1] in " \t.!?":
        end -= 1
    return start, end


def _sentence_case(sentence: str) -> str:
    def word_case(match: re.Match) -> str:
        word = match.group()
        return word if word.lower() in ACRONYMS else word.lower()

    lowered = re.sub(r"[^\W\d_]+", word_case, sentence)
    for i, char in enumerate(lowered):
        if char.isalpha():
            return lowered[:i] + char.upper() + lowered[i + 1 :]
    return lowered


def _punctuation(tokens: list[Token], findings: list[Finding], fixes) -> None:
    for token in tokens:
        if token.kind != PUNCT or len(token.text) < 2:
            continue
        if set(token.text) == {"!"}:
            findings.append(_finding("tanda_seru", BLOCK, token.start, token.end))
            fixes.append((token.start, token.end, "."))
        elif set(token.text) <= {"!", "?"}:
            findings.append(_finding("tidak_sabar", WARN, token.start, token.end))
            fixes.append((token.start, token.end, "?"))


def _abuse(text: str, tokens: list[Token], findings: list[Finding]) -> None:
    quotes = [m.span() for m in _QUOTED.finditer(text)]
    polite = any(h.label == "santun" for h in find_phrases(
        [t.norm for t in tokens], phrase_index("tone")))
    for hit in find_kasar(tokens):
        start, end = hit.span(tokens)
        if _is_quotation(hit, tokens, quotes, polite):
            findings.append(_finding("kutipan", INFO, start, end))
        else:
            findings.append(_finding("kata_kasar", BLOCK, start, end))


def _is_quotation(hit: Hit, tokens: list[Token], quotes, polite: bool) -> bool:
    start, end = hit.span(tokens)
    if any(q_start < start and end < q_end for q_start, q_end in quotes):
        return True
    # Unquoted reported speech ("jika Bapak menilai kami bodoh") is a quotation only inside a
    # polite reply and never when the word is aimed at the citizen.
    before = [t.norm for t in tokens[max(0, hit.first - 4) : hit.first]]
    return polite and any(word in _REPORTING for word in before) and not any(
        word in ("anda", "kamu", "bapak", "ibu", "saudara") for word in before[-1:])


def _pronouns(tokens: list[Token], findings: list[Finding], fixes) -> None:
    for i, token in enumerate(tokens):
        replacement = RUDE_PRONOUNS.get(token.base)
        if token.kind != WORD or replacement is None:
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.base == "gua" and following is not None and following.text[:1].isupper():
            continue  # "Gua Maria", "Gua Jatijajar": a cave, not a pronoun
        findings.append(_finding("sapaan_kasar", WARN, token.start, token.end))
        fixes.append((token.start, token.end, replacement))


def _phrases(tokens: list[Token], findings: list[Finding]) -> bool:
    """Add phrase findings; return whether the reply has a greeting, thanks or apology."""
    kept = [t for t in tokens if t.kind not in (PUNCT, URL)]
    polite = False
    for hit in find_phrases([t.norm for t in kept], phrase_index("tone")):
        if hit.label == "santun":
            polite = True
            continue
        severity = _PHRASE_SEVERITY[hit.label]
        if hit.label == "sindiran" and kept[hit.first].kind == EMOJI:
            severity = WARN
        start, end = hit.span(kept)
        findings.append(_finding(hit.label, severity, start, end))
    return polite


def _apply(text: str, fixes: list[tuple[int, int, str]]) -> str | None:
    if not fixes:
        return None
    # Case fixes keep the length, so they go first and the other fixes' spans stay valid
    # (a rude pronoun inside a shouted sentence gets both).
    chars = list(text)
    for start, end, replacement in fixes:
        if len(replacement) == end - start:
            chars[start:end] = replacement
    result = "".join(chars)
    last_start = len(text) + 1
    for start, end, replacement in sorted(fixes, reverse=True):
        if len(replacement) == end - start or end > last_start:
            continue
        result = result[:start] + replacement + result[end:]
        last_start = start
    return result


# Findings whose words a rewrite drops when no mechanical fix exists for them.
_DROPPED = frozenset({"kata_kasar", "hinaan", "meremehkan", "sindiran", "tidak_sabar",
                      "sapaan_kasar", "penekanan_kapital", "tanda_seru", "huruf_kapital"})
_WORDS = re.compile(r"[^\W_]+")
# Fewer words than this share of the reply's left after dropping: the rest is no longer what
# the operator meant to say, so no rewrite is offered.
_KEEP_SHARE = 0.6


def suggest_rewrite(text: str, *, inbound_kind: str | None = None,
                    rounds: int = 4) -> str | None:
    """A version of ``text`` whose verdict is ``ok``, or ``None`` when none can be made.

    First the mechanical fixes of :func:`check_tone` (sentence case for shouting, one full stop
    for ``!!!``, ``Bapak/Ibu`` for ``lu``); what they cannot fix (an abusive word, an insult, a
    dismissive phrase) is dropped. ``None`` for a reply that is fine already, and for one that
    would lose too much of itself to pass: the operator has to write it again.
    """
    original = len(_WORDS.findall(text))
    current = text
    for _ in range(rounds):
        result = check_tone(current, inbound_kind=inbound_kind)
        if result.verdict == "ok":
            break
        fixed = result.suggestion
        if fixed is not None and fixed != current and \
                check_tone(fixed, inbound_kind=inbound_kind).verdict != result.verdict or \
                fixed is not None and fixed != current and not _droppable(result):
            current = fixed
            continue
        spans = sorted((f.start, f.end) for f in result.findings
                       if f.code in _DROPPED and f.severity in (BLOCK, WARN))
        if not spans:
            return None
        current = _tidy(_drop(current, spans))
    else:
        if check_tone(current, inbound_kind=inbound_kind).verdict != "ok":
            return None
    if current == text or not current:
        return None
    if len(_WORDS.findall(current)) < max(2, _KEEP_SHARE * original):
        return None
    tidied = _tidy(current)
    return tidied if check_tone(tidied, inbound_kind=inbound_kind).verdict == "ok" else current


def _droppable(result: ToneResult) -> bool:
    return any(f.code in _DROPPED and f.severity in (BLOCK, WARN) for f in result.findings)


# Words that lean on the one dropped next to them ("bodoh sekali", "dasar bego"): they go too.
_LEANING_AFTER = re.compile(
    r"(?:\s*(?:sekali|banget|bgt|amat|doang|sih|tuh|dong|deh|lah|ya|kan)\b)+", re.IGNORECASE)
_LEANING_BEFORE = re.compile(r"(?:\b(?:dasar|sangat|tuh|dong|sok|memang)\s*)+$", re.IGNORECASE)


def _drop(text: str, spans: list[tuple[int, int]]) -> str:
    widened = []
    for start, end in spans:
        after = _LEANING_AFTER.match(text, end)
        before = _LEANING_BEFORE.search(text[:start])
        widened.append((before.start() if before else start, after.end() if after else end))
    merged: list[list[int]] = []
    for start, end in sorted(widened):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + text[end:]
    return text


def _tidy(text: str) -> str:
    """Spaces, commas and capitals left right after words were taken out."""
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"(^|[.!?]\s*)[,;:]\s*", r"\1", text.strip())
    text = re.sub(r"[,;:]\s*([.!?]|$)", r"\1", text)
    text = text.strip(" ,;:")
    return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
