"""The one set of rules for what people and platforms type, used by every way in: REST v1, the
portal's form, parsed webhook events and the actions themselves, so that what one door refuses
cannot come in through another. Cheap on purpose: each check stops at its first answer and runs
in C where it can (every inbound message passes here).

Why each rule exists:
- NUL (U+0000): PostgreSQL refuses it in text columns, so a message SQLite stored would break a
  later move to PostgreSQL, and on PostgreSQL it was a server error.
- Lone surrogates (U+D800 to U+DFFF): JSON can escape them, but they have no UTF-8 form, so the
  database driver fails on them.
- Text with nothing visible (zero-width spaces, joiners, byte-order marks, direction marks,
  Hangul fillers): it looks empty on every screen, yet would open a case nobody can read.
- Direction controls in names and handles (U+202A to U+202E, U+2066 to U+2069 and the marks):
  a right-to-left override turns "Budi\u202egnp.exe" into "Budiexe.png" wherever the name is
  shown, and reverses what follows it in a list, to disguise who wrote.
- Ids: JSON numbers such as 1.9, true, 1e400 or Infinity must never mean "channel 1" or crash a
  lookup; an id is an integer (or its decimal digits) that fits a 64-bit column.
"""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tanggap.errors import InvalidInput

MAX_ID = 2**63 - 1  # the largest value of the 64-bit id columns
MAX_NAME_CHARS = 200
MAX_KEY_CHARS = 100  # an idempotency key, as the client sent it (the columns hold 100)

_SURROGATE = re.compile("[\ud800-\udfff]")
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: int() would also take "١٢", " 1_2 " or "+1"
# Direction controls: embeddings, overrides and isolates, and the three marks. In a name or a
# handle they only ever serve to disguise it.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI_RE = re.compile(f"[{_BIDI}]")
# C0 and C1 controls (tabs and newlines included): a name is one line.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]+")
# Printable, non-space characters that still draw nothing.
_BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _visible(char: str) -> bool:
    # isprintable() is false for controls, format characters (zero-width, direction marks, BOM)
    # and separators; combining marks draw nothing on their own.
    return (char.isprintable() and not char.isspace() and char not in _BLANK_LOOKALIKES
            and not unicodedata.category(char).startswith("M"))


def has_visible(text: str) -> bool:
    """True when some character of `text` draws something (stops at the first one)."""
    return any(map(_visible, text))


def unsafe_character(value: str) -> str | None:
    """The name of the first character that no text column may hold, or None."""
    if "\x00" in value:
        return "NUL"
    if _SURROGATE.search(value):
        return _("an unpaired surrogate")
    return None


def refuse_unstorable(value: str, field: str) -> None:
    bad = unsafe_character(value)
    if bad is not None:
        raise InvalidInput(
            _("'%(field)s' contains a character that cannot be stored (%(char)s).")
            % {"field": field, "char": bad},
            field=field,
        )


def clean_text(value, *, field: str = "text", limit: int | None = None) -> str:
    """A message, reply or note: stripped, storable, visible, at most `limit` characters."""
    if not isinstance(value, str):
        raise InvalidInput(_("'%(field)s' must be a string.") % {"field": field}, field=field)
    refuse_unstorable(value, field)
    limit = settings.TANGGAP_MAX_MESSAGE_CHARS if limit is None else limit
    if len(value) > limit:  # as sent: the documented maxLength
        raise InvalidInput(
            _("'%(field)s' is longer than %(limit)d characters.")
            % {"field": field, "limit": limit},
            field=field,
        )
    value = value.strip()
    if not has_visible(value):
        raise InvalidInput(_("'%(field)s' must not be empty.") % {"field": field}, field=field)
    return value


def clean_key(value, *, field: str = "idempotency_key") -> str:
    """An idempotency key: a storable string of 1 to MAX_KEY_CHARS characters, kept exactly as
    sent (a retry must match it byte for byte)."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_KEY_CHARS:
        raise InvalidInput(
            _("'%(field)s' must be a string of 1 to %(limit)d characters.")
            % {"field": field, "limit": MAX_KEY_CHARS}, field=field)
    refuse_unstorable(value, field)
    return value


def clean_flag(value, *, field: str) -> bool:
    """A true/false field: JSON's true or false only ("yes", 1 or null never mean true)."""
    if not isinstance(value, bool):
        raise InvalidInput(_("'%(field)s' must be true or false.") % {"field": field},
                           field=field)
    return value


def clean_name(value, *, limit: int = MAX_NAME_CHARS) -> str:
    """A display name given by a citizen or a platform, made safe to show: direction controls
    and other control characters removed, unstorable characters replaced, at most `limit`
    characters; "" when nothing visible is left. Never refuses: a citizen's message is not lost
    for the label of its author."""
    if not isinstance(value, str):
        return ""
    value = _BIDI_RE.sub("", value)
    value = _CONTROLS.sub(" ", value)
    value = _SURROGATE.sub("\ufffd", value)
    value = " ".join(value.split())[:limit]
    return value if has_visible(value) else ""


def clean_handle(value, *, field: str = "handle", limit: int = 120) -> str:
    """An account handle or label typed by an admin: refused (not repaired) when it holds
    control, format or direction characters, since the admin can type it again."""
    if not isinstance(value, str):
        raise InvalidInput(_("'%(field)s' must be a string.") % {"field": field}, field=field)
    refuse_unstorable(value, field)
    value = value.strip()
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in value):
        raise InvalidInput(
            _("'%(field)s' must not contain invisible or direction-control characters.")
            % {"field": field}, field=field)
    if not has_visible(value) or len(value) > limit:
        raise InvalidInput(
            _("'%(field)s' must be 1 to %(limit)d characters.") % {"field": field, "limit": limit},
            field=field)
    return value


def object_id(value) -> int | None:
    """An id taken from a URL or a body, or None when it cannot name any row (the accessors then
    answer 404). Integers and strings of ASCII digits only, 1 to MAX_ID."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not _DIGITS.fullmatch(value):
            return None
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= MAX_ID:
        return None
    return value


def parse_id(value, *, field: str) -> int:
    """An id sent in a JSON body: an integer or a string of its decimal digits (integrations
    send both). Anything else (true, 1.9, 1e400, "1_0") is refused with the field's name. An
    integer out of range is returned as is: no row has it, and the accessor answers 404."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    raise InvalidInput(_("'%(field)s' must be an integer id.") % {"field": field}, field=field)


def parse_int_param(value: str | None, *, field: str, minimum: int = 0,
                    maximum: int = MAX_ID) -> int | None:
    """A whole number from a query string: ASCII digits, within bounds; None when absent."""
    if value in (None, ""):
        return None
    if not _DIGITS.fullmatch(value) or not minimum <= int(value) <= maximum:
        raise InvalidInput(
            _("'%(field)s' must be a whole number from %(minimum)d to %(maximum)d.")
            % {"field": field, "minimum": minimum, "maximum": maximum},
            field=field,
        )
    return int(value)


def text_validator(value: str) -> None:
    """clean_text as a Django form validator (the portal's form)."""
    try:
        clean_text(value)
    except InvalidInput as exc:
        raise ValidationError(str(exc.message), code="invalid") from None
