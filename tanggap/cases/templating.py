"""The one template engine for words the desk sends to citizens: canned replies (the replytemplates
room), and any room above that fills a reply for a case (a referral's reply to the citizen).

A template is plain text with fields in braces: `Terima kasih, {nama}. Nomor laporan Anda
{nomor_laporan}.` The desk knows `{nama}`, `{nomor_laporan}` (also written `{nomor}`), `{kanal}`
and `{operator}`; a room above adds its own fields and their values through the port below
(referrals: `{instansi}`, `{tenggat}`), so a field exists only where a room provides it.

`fields_of` refuses a template with an unknown field, an unmatched brace or Python's format
notation (`{nama!r}`, `{nama:>999}`) when it is saved; `render` refuses one whose fields this
case has no value for, naming them, so nothing half-filled is ever sent.
"""

from __future__ import annotations

import string
from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tanggap.errors import InvalidInput

# The desk's own fields; `nomor` is the short name referral replies were first written with.
DESK_FIELDS = {
    "nama": gettext_lazy("the citizen's name"),
    "nomor_laporan": gettext_lazy("the tracking number"),
    "nomor": gettext_lazy("the tracking number"),
    "kanal": gettext_lazy("the channel"),
    "operator": gettext_lazy("your name"),
}

Provider = Callable[..., dict[str, str]]
_providers: dict[str, tuple[dict, Provider]] = {}


def register_fields(name: str, fields: dict, provider: Provider) -> None:
    """A room above adds `fields` ({field: label}); `provider(case=..., actor=...)` returns the
    values this case has for them (a field without a value is left out). Called from an
    AppConfig.ready(); registering the same name again replaces it (ready() may run twice)."""
    clash = set(fields) & set(DESK_FIELDS)
    if clash:
        raise ValueError(f"template fields {sorted(clash)} belong to the desk")
    _providers[name] = (dict(fields), provider)


def known_fields() -> dict:
    fields = dict(DESK_FIELDS)
    for extra, _provider in _providers.values():
        fields.update(extra)
    return fields


def fields_of(template, *, field: str = "text") -> list[str]:
    """The fields a template uses, in order; InvalidInput naming what is wrong."""
    if not isinstance(template, str):
        raise InvalidInput(_("'%(field)s' must be a string.") % {"field": field}, field=field)
    try:
        parts = [(name, spec, conv) for _lit, name, spec, conv
                 in string.Formatter().parse(template) if name is not None]
    except ValueError:
        raise InvalidInput(_("The template has an unmatched brace: write a field as {nama}."),
                           field=field) from None
    if any(spec or conv for _name, spec, conv in parts):
        raise InvalidInput(_("A template field is written {nama}, without ':' or '!'."),
                           field=field)
    known = known_fields()
    names = [name for name, _spec, _conv in parts]
    unknown = sorted({name for name in names if name not in known})
    if unknown:
        raise InvalidInput(
            _("The template uses unknown field(s) %(fields)s; the fields are %(known)s.")
            % {"fields": ", ".join(f"{{{n}}}" for n in unknown),
               "known": ", ".join(f"{{{n}}}" for n in known)},
            field=field, unknown=unknown)
    return names


def values_for(*, case, actor) -> dict[str, str]:
    """What this case and this operator fill in. A contact name that is only a platform's number
    is no name ("Bapak/Ibu 1234567890" reads worse than no name), so it is left out."""
    values = {"nomor_laporan": case.tracking_number, "nomor": case.tracking_number,
              "kanal": str(case.channel)}
    name = (case.contact.display_name or "").strip()
    if name and not name.isdigit():
        values["nama"] = name
    operator = (actor.get_full_name() or actor.username).strip() if actor is not None else ""
    if operator:
        values["operator"] = operator
    for _fields, provider in _providers.values():
        values.update({k: v for k, v in provider(case=case, actor=actor).items() if v})
    return values


def missing_fields(template: str, values: dict) -> list[str]:
    return sorted({name for name in fields_of(template) if name not in values})


def render(template: str, values: dict, *, field: str = "text") -> str:
    """The template filled in; InvalidInput (with `missing`) when a field has no value."""
    fields_of(template, field=field)
    missing = missing_fields(template, values)
    if missing:
        raise InvalidInput(
            _("This case has no value for %(fields)s: edit the text before sending.")
            % {"fields": ", ".join(f"{{{n}}}" for n in missing)}, field=field, missing=missing)
    return template.format_map(values)
