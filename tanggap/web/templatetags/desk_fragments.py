"""Fixed fragments of the desk's pages, rendered once per language in each process."""

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

_rendered: dict[tuple[str, str], SafeString] = {}


@register.simple_tag
def fixed_include(name: str) -> SafeString:
    """`{% include name %}` for a template that reads nothing from its context (markup and
    `{% trans %}` only; test_desk_fragments checks each one used), kept per language: the
    help overlay and the scripts' strings were some 26 translations on every inbox page.
    Rendered every time while DEBUG, so an edited template shows at once."""
    key = (name, get_language())
    text = None if settings.DEBUG else _rendered.get(key)
    if text is None:
        text = _rendered[key] = mark_safe(get_template(name).render({}))
    return text
